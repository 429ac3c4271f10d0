/// A look at the shape of BER bytes before they are parsed: how many values they hold.
///
/// SwiftASN1 makes a node of about a hundred bytes for every value, so two bytes of input can cost
/// a hundred of memory; a count over the raw bytes, which allocates nothing, lets a reader refuse
/// a flood of tiny values before parsing them.
enum BERShape {
    /// Whether `bytes` hold at most `limit` values (tag-length headers, counted through constructed
    /// values). Bytes that are not BER end the count early: the parser then says what is wrong.
    static func valueCount(of bytes: [UInt8], isAtMost limit: Int) -> Bool {
        var position = 0
        var count = 0
        while position < bytes.count {
            count += 1
            if count > limit { return false }
            // The identifier: a long-form tag number continues while the top bit is set.
            let identifier = bytes[position]
            position += 1
            if identifier & 0x1F == 0x1F {
                while position < bytes.count, bytes[position] & 0x80 != 0 { position += 1 }
                position += 1
            }
            guard position < bytes.count else { return true }
            let constructed = identifier & 0x20 != 0
            let first = bytes[position]
            position += 1
            var length = 0
            if first == 0x80 {
                continue  // indefinite length: the content follows, ended by 00 00 (counted as a value)
            } else if first & 0x80 != 0 {
                let octets = Int(first & 0x7F)
                guard octets <= 4, position <= bytes.count - octets else { return true }
                for _ in 0..<octets {
                    length = length << 8 | Int(bytes[position])
                    position += 1
                }
            } else {
                length = Int(first)
            }
            // A constructed value's content is its children: go on into it. A primitive one is skipped.
            if !constructed {
                guard length <= bytes.count - position else { return true }
                position += length
            }
        }
        return true
    }
}
