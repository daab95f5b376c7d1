/* Which of two old-verifier limits the running kernel has, found by
 * loading two tiny programs (never by the kernel's version): whether the
 * probes' own load exercised a verifier without bounded loops or without
 * global data. */
#ifndef SPLICELAB_PROBE_VERIFIER_FEATURES_H
#define SPLICELAB_PROBE_VERIFIER_FEATURES_H

enum verifier_answer {
	VERIFIER_UNKNOWN, /* even a trivial program was refused: no answer */
	VERIFIER_REFUSES, /* the kernel lacks the feature */
	VERIFIER_ACCEPTS,
};

struct verifier_features {
	enum verifier_answer bounded_loops; /* a loop of 4 rounds (5.3+) */
	enum verifier_answer global_data;   /* a store to a map value by address (5.2+) */
};

void probe_verifier_features(struct verifier_features *out);

#endif
