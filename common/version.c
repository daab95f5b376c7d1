#include "version.h"

const char splicelab_version[] = SPLICELAB_VERSION;
const char splicelab_commit[] = SPLICELAB_COMMIT;
