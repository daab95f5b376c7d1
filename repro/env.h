/* What the machine is, for env in matrix.json and the default label. */
#ifndef SPLICELAB_ENV_H
#define SPLICELAB_ENV_H

#include <jansson.h>
#include <stddef.h>

/* env as docs/schema.md describes it, without probes (the caller adds
 * them). virt is what --virt said. */
json_t *env_capture(const char *virt);

/* "<os id><os version id>-<kernel release>", e.g. debian12-6.1.0-26-amd64. */
void env_default_label(const json_t *env, char *buf, size_t len);

#endif
