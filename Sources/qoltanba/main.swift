import Foundation
import QoltanbaServer

exit(await Entrypoint.main())
