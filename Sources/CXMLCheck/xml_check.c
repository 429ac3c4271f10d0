#include "xml_check.h"

#include <libxml/parser.h>
#include <limits.h>
#include <string.h>

int qoltanba_xml_is_well_formed(const char *bytes, size_t length, int *line, char *message, size_t message_size) {
    static int initialized = 0;
    if (!initialized) {  // xmlInitParser is idempotent; this only spares the call.
        xmlInitParser();
        initialized = 1;
    }
    *line = 0;
    if (message_size > 0) message[0] = '\0';
    if (length > INT_MAX) {
        strncpy(message, "the document is too large", message_size - 1);
        return 0;
    }
    xmlParserCtxtPtr context = xmlNewParserCtxt();
    if (context == NULL) {
        strncpy(message, "the XML parser could not start", message_size - 1);
        return 0;
    }
    int options = XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING;
    xmlDocPtr document = xmlCtxtReadMemory(context, bytes, (int)length, NULL, "UTF-8", options);
    int wellFormed = document != NULL && context->wellFormed;
    if (!wellFormed) {
        *line = context->lastError.line;
        if (context->lastError.message != NULL && message_size > 0) {
            strncpy(message, context->lastError.message, message_size - 1);
            message[message_size - 1] = '\0';
        }
    }
    if (document != NULL) xmlFreeDoc(document);
    xmlFreeParserCtxt(context);
    return wellFormed;
}
