#ifndef QOLTANBA_XML_CHECK_H
#define QOLTANBA_XML_CHECK_H

#include <stddef.h>

/// Parses `length` bytes as an XML document with libxml2, without network access, DTD loading
/// or entity substitution. Returns 1 when the document is well-formed; otherwise 0, with the
/// line of the first error in `line` and its message in `message` (NUL-terminated, truncated to
/// `message_size`).
int qoltanba_xml_is_well_formed(const char *bytes, size_t length, int *line, char *message, size_t message_size);

#endif
