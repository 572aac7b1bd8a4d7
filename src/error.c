/* error.c — messages and names for the PT_ERRNO_MAP codes. */
#include "patron/error.h"

const char *pt_strerror(int err)
{
    switch (err) {
    case PT_OK:
        return "success";
#define PT__ERR_MSG(name, code, msg) case PT_##name: return msg;
        PT_ERRNO_MAP(PT__ERR_MSG)
#undef PT__ERR_MSG
    default:
        return "unknown error";
    }
}

const char *pt_errname(int err)
{
    switch (err) {
    case PT_OK:
        return "PT_OK";
#define PT__ERR_NAME(name, code, msg) case PT_##name: return "PT_" #name;
        PT_ERRNO_MAP(PT__ERR_NAME)
#undef PT__ERR_NAME
    default:
        return "PT_UNKNOWN";
    }
}
