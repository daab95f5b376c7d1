#include "cell_shared.h"

#include "pattern.h"

#include <errno.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

const char *const role_names[ROLE_COUNT] = {"relay", "client", "sink", "monitor"};

uint64_t monotonic_ns(void)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (uint64_t)now.tv_sec * 1000000000ull + (uint64_t)now.tv_nsec;
}

_Noreturn void cell_finish(struct cell_shared *shared, enum outcome outcome)
{
	shared->outcome = outcome;
	atomic_store(&shared->activity, ACTIVITY_DONE);
	atomic_store(&shared->finished, 1);
	_exit(0);
}

_Noreturn void cell_fail(struct cell_shared *shared, const char *call, int error)
{
	shared->error = error;
	snprintf(shared->error_call, sizeof shared->error_call, "%s", call);
	cell_finish(shared, OUTCOME_ERROR);
}

bool cell_wait_request(int request_fd)
{
	for (;;) {
		char request;
		ssize_t n = read(request_fd, &request, 1);
		if (n < 0 && errno == EINTR)
			continue;
		return n > 0;
	}
}

void cell_deadline(struct timespec *ts, clockid_t clock, uint64_t ns)
{
	clock_gettime(clock, ts);
	uint64_t nsec = (uint64_t)ts->tv_nsec + ns;
	ts->tv_sec += (time_t)(nsec / 1000000000ull);
	ts->tv_nsec = (long)(nsec % 1000000000ull);
}

void cell_note_bad_byte(struct cell_shared *shared, uint64_t offset, uint8_t got)
{
	if (shared->corrupt_found)
		return;
	shared->corrupt_found = 1;
	shared->corrupt_offset = offset;
	shared->corrupt_expected = pattern_byte(offset);
	shared->corrupt_got = got;
}

void cell_note_length(struct cell_shared *shared, uint64_t received, uint64_t want)
{
	if (shared->corrupt_found || received == want)
		return;
	bool short_stream = received < want;
	shared->corrupt_found = 1;
	shared->corrupt_offset = short_stream ? received : want;
	shared->corrupt_expected = short_stream ? pattern_byte(received) : -1;
	shared->corrupt_got = short_stream ? -1 : 0;
}
