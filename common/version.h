/* The version and commit every splicelab tool reports. They live in one
 * object, rebuilt whenever the commit changes, so a binary never reports a
 * stale commit. */
#ifndef SPLICELAB_VERSION_H
#define SPLICELAB_VERSION_H

extern const char splicelab_version[];
extern const char splicelab_commit[];

#endif
