/* Small text files (/proc/PID/comm, a child's stderr) read in one line. */
#ifndef SPLICELAB_DOCTOR_TEXTFILE_H
#define SPLICELAB_DOCTOR_TEXTFILE_H

#include <stddef.h>

/* The file's first line without its newline; "" when unreadable. */
void read_first_line(const char *path, char *buf, size_t len);

#endif
