#include "grid.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "identity.h"

#define KiB (1ull << 10)
#define MiB (1ull << 20)

/* The default grid: the seed's payloads (16384 worked on 3.10, 25000 and
 * up hung) inside a 4 KiB..16 MiB sweep, five pipe sizes from one slot to
 * Go's 1 MiB, and the flag sets real programs pass. */
static const uint64_t default_pipe_sizes[] = {4 * KiB, 16 * KiB, 64 * KiB, 256 * KiB, 1 * MiB};
static const uint64_t default_payloads[] = {4 * KiB,  16384,	 25000,	  32 * KiB,
					    64 * KiB, 256 * KiB, 1 * MiB, 16 * MiB};
static const int default_flag_sets[] = {0, SPLICE_F_NONBLOCK, SPLICE_F_MOVE | SPLICE_F_NONBLOCK,
					SPLICE_F_MORE};
static const uint64_t profile_payloads[] = {1 * MiB, 64 * MiB};
/* The throughput preset: Go's 1 MiB pipe and the 64 KiB default, each
 * with transfers of 64 KiB (small responses: many fresh pipes) and 1 MiB. */
static const uint64_t throughput_pipe_sizes[] = {64 * KiB, 1 * MiB};
static const uint64_t throughput_transfers[] = {64 * KiB, 1 * MiB};
static const uint64_t quick_profile_payloads[] = {1 * MiB, 16 * MiB};

static void set_sizes(struct size_list *list, const uint64_t *values, size_t count)
{
	if (list->given || list->count)
		return;
	list->count = count;
	memcpy(list->values, values, count * sizeof *values);
}

static void set_choices(struct choice_list *list, const int *values, size_t count)
{
	if (list->given || list->count)
		return;
	list->count = count;
	memcpy(list->values, values, count * sizeof *values);
}

static void set_one_size(struct size_list *list, uint64_t value)
{
	set_sizes(list, &value, 1);
}

static void set_one_choice(struct choice_list *list, int value)
{
	set_choices(list, &value, 1);
}

/* Every dimension the user did not give takes its value(s) from the preset;
 * without a preset, one plain value. */
static void fill_defaults(struct matrix_spec *spec)
{
	static const int both[] = {SCENARIO_PROXY, SCENARIO_DRAIN};
	static const int off_on[] = {0, 1};
	if (spec->preset == PRESET_DEFAULT) {
		set_choices(&spec->scenarios, both, 2);
		set_sizes(&spec->pipe_sizes, default_pipe_sizes,
			  sizeof default_pipe_sizes / sizeof default_pipe_sizes[0]);
		set_sizes(&spec->payloads, default_payloads,
			  sizeof default_payloads / sizeof default_payloads[0]);
		set_choices(&spec->flag_sets, default_flag_sets,
			    sizeof default_flag_sets / sizeof default_flag_sets[0]);
		set_choices(&spec->pipe_nonblock, off_on, 2);
	}
	if (spec->preset == PRESET_THROUGHPUT) {
		set_one_choice(&spec->scenarios, SCENARIO_THROUGHPUT);
		set_sizes(&spec->pipe_sizes, throughput_pipe_sizes, 2);
		set_sizes(&spec->chunks, throughput_transfers, 2);
	}
	set_one_choice(&spec->scenarios, SCENARIO_PROXY);
	set_one_choice(&spec->transports, TRANSPORT_TCP4);
	set_one_size(&spec->pipe_sizes, 64 * KiB);
	set_one_size(&spec->payloads, 16 * MiB);
	set_one_size(&spec->chunks, 1 * MiB);
	set_one_choice(&spec->flag_sets, 0);
	set_one_choice(&spec->pipe_nonblock, 0);
	set_one_choice(&spec->src_nonblock, 0);
	set_one_choice(&spec->dst_nonblock, 0);
	set_one_choice(&spec->loops, LOOP_BUSY);
	set_one_choice(&spec->senders, SENDER_ONE);
}

struct cell_list {
	struct cell_params *cells;
	size_t count;
	size_t cap;
	bool failed;
};

static void append(struct cell_list *list, const struct cell_params *cell)
{
	if (list->failed)
		return;
	if (list->count == list->cap) {
		size_t cap = list->cap ? list->cap * 2 : 64;
		struct cell_params *bigger = realloc(list->cells, cap * sizeof *bigger);
		if (!bigger) {
			list->failed = true;
			return;
		}
		list->cells = bigger;
		list->cap = cap;
	}
	list->cells[list->count++] = *cell;
}

#define VMSPLICE_PAYLOAD (128 * KiB)
#define VMSPLICE_CHUNK (16 * KiB)

static bool listed(const struct cell_list *list, const struct cell_params *cell)
{
	for (size_t i = 0; i < list->count; i++) {
		const struct cell_params *c = &list->cells[i];
		if (c->scenario == cell->scenario && c->transport == cell->transport &&
		    c->pipe_size == cell->pipe_size && c->payload == cell->payload &&
		    c->chunk == cell->chunk && c->reuse == cell->reuse &&
		    strcmp(c->user.name, cell->user.name) == 0)
			return true;
	}
	return false;
}

/* vmsplice cells: the sender is ours and fixed, so only transport, pipe
 * size, payload and chunk (its own defaults when not given) and the reuse
 * variants shape them; the other dimensions would only repeat a cell. */
static void push_vmsplice(struct cell_list *list, const struct matrix_spec *spec,
			  const struct cell_params *given)
{
	struct cell_params c = {
		.scenario = SCENARIO_VMSPLICE,
		.transport = given->transport,
		.pipe_size = given->pipe_size,
		.payload = spec->payloads.given ? given->payload : VMSPLICE_PAYLOAD,
		.chunk = spec->chunks.given ? given->chunk : VMSPLICE_CHUNK,
		.corrupt_at = -1,
		.user = given->user,
	};
	for (int r = 0; r < REUSE_COUNT; r++) {
		bool asked = !spec->reuses.given;
		for (size_t i = 0; i < spec->reuses.count; i++)
			asked |= spec->reuses.values[i] == r;
		c.reuse = (enum reuse)r;
		/* The flags a vmsplice cell records are its vmsplice call's. */
		c.splice_flags = r == REUSE_GIFT ? SPLICE_F_GIFT : 0;
		if (asked && !listed(list, &c))
			append(list, &c);
	}
}

/* The knobs that are not grid dimensions: the load cells' and the user. */
static void push(struct cell_list *list, const struct matrix_spec *spec,
		 const struct cell_params *given)
{
	struct cell_params filled = *given;
	if (filled.scenario == SCENARIO_LOAD && !filled.connections) {
		filled.connections = spec->connections ? spec->connections : 1;
		filled.conn_count = spec->conn_count;
		filled.pipe_pressure = spec->pipe_pressure;
	}
	/* The throughput relays' flags: they never sleep on a full pipe. */
	if (filled.scenario == SCENARIO_THROUGHPUT)
		filled.splice_flags = SPLICE_F_MOVE | SPLICE_F_NONBLOCK;
	if (!filled.user.set)
		filled.user = spec->user;
	if (filled.scenario == SCENARIO_VMSPLICE)
		push_vmsplice(list, spec, &filled);
	else
		append(list, &filled);
}

/* Every combination, payload varying fastest (an odometer over the
 * dimensions), so the table reads pipe size x payload. */
static void expand_plain(const struct matrix_spec *s, struct cell_list *list)
{
	enum { SCN, TRN, FLG, PNB, SNB, DNB, LOOP, SND, CHK, PIPE, PAY, DIMS };
	const size_t sizes[DIMS] = {
		s->scenarios.count,    s->transports.count,   s->flag_sets.count,
		s->pipe_nonblock.count, s->src_nonblock.count, s->dst_nonblock.count,
		s->loops.count,	       s->senders.count,      s->chunks.count,
		s->pipe_sizes.count,   s->payloads.count,
	};
	size_t at[DIMS] = {0};
	for (int d = 0; d < DIMS; d++)
		if (sizes[d] == 0)
			return;
	for (;;) {
		struct cell_params c = {
			.scenario = (enum scenario)s->scenarios.values[at[SCN]],
			.transport = (enum transport)s->transports.values[at[TRN]],
			.splice_flags = (unsigned int)s->flag_sets.values[at[FLG]],
			.pipe_nonblock = s->pipe_nonblock.values[at[PNB]],
			.src_nonblock = s->src_nonblock.values[at[SNB]],
			.dst_nonblock = s->dst_nonblock.values[at[DNB]],
			.loop = (enum loop_style)s->loops.values[at[LOOP]],
			.sender = (enum sender_style)s->senders.values[at[SND]],
			.chunk = s->chunks.values[at[CHK]],
			.pipe_size = s->pipe_sizes.values[at[PIPE]],
			.payload = s->payloads.values[at[PAY]],
			.head_start = s->head_start,
			.corrupt_at = s->corrupt_at,
		};
		push(list, s, &c);
		int d = DIMS - 1;
		while (d >= 0 && ++at[d] == sizes[d])
			at[d--] = 0;
		if (d < 0)
			return;
	}
}

static void expand_profiles(const struct matrix_spec *s, const struct choice_list *scenarios,
			    const uint64_t *payloads, size_t npayloads, struct cell_list *list)
{
	for (size_t i = 0; i < s->profile_count; i++)
		for (size_t a = 0; a < scenarios->count; a++)
			for (size_t b = 0; b < s->transports.count; b++)
				for (size_t se = 0; se < s->senders.count; se++)
					for (size_t n = 0; n < npayloads; n++) {
						struct cell_params c = {
							.scenario = (enum scenario)scenarios->values[a],
							.transport = (enum transport)s->transports.values[b],
							.sender = (enum sender_style)s->senders.values[se],
							.payload = payloads[n],
							.head_start = s->head_start,
							.corrupt_at = s->corrupt_at,
						};
						profile_apply(s->profiles[i], &c);
						push(list, s, &c);
					}
}

/* The quick preset: the cells that tell the regimes apart, plus every
 * profile. Expected on 6.x: blocked, spin, stalled, spin (O_NONBLOCK pipe
 * promoted), ok, ok; on 3.10 the last proxy cell hangs. */
static void expand_quick(const struct matrix_spec *s, struct cell_list *list)
{
	struct cell_params base = {.scenario = SCENARIO_DRAIN,
				   .transport = TRANSPORT_TCP4,
				   .pipe_size = 64 * KiB,
				   .payload = 16 * MiB,
				   .chunk = 1 * MiB,
				   .loop = LOOP_BUSY,
				   .sender = SENDER_ONE,
				   .head_start = s->head_start,
				   .corrupt_at = s->corrupt_at};
	struct cell_params c = base;
	push(list, s, &c);
	c.splice_flags = SPLICE_F_NONBLOCK;
	push(list, s, &c);
	c.loop = LOOP_EPOLL;
	c.src_nonblock = true;
	push(list, s, &c);
	c = base;
	c.pipe_nonblock = true;
	push(list, s, &c);
	c = base;
	c.payload = 16384;
	push(list, s, &c);
	c = base;
	c.scenario = SCENARIO_PROXY;
	push(list, s, &c);
}

#define LOAD_GRID_CONNECTIONS 128
#define LOAD_GRID_PAYLOAD (1 * MiB)

/* The default grid's load cells: each Go profile with 128 connections as
 * an unprivileged user (nobody) and as root, and with one connection, so
 * the per-user pipe accounting shows where it bites (docs/load.md). Cells
 * for a user that does not exist, or that this runner cannot become, are
 * left out (grid_note_left_out says so). */
struct load_users {
	struct cell_user nobody, root;
	bool have_nobody, can_switch;
};

static void find_load_users(struct load_users *users)
{
	users->have_nobody = identity_lookup("nobody", &users->nobody) == 0;
	identity_lookup("0", &users->root); /* a uid always resolves */
	users->can_switch = geteuid() == 0;
}

static void expand_load(const struct matrix_spec *s, struct cell_list *list)
{
	struct load_users users;
	find_load_users(&users);
	for (size_t i = 0; i < profile_count; i++) {
		if (strncmp(profiles[i].name, "go", 2) != 0)
			continue;
		struct cell_params c = {.scenario = SCENARIO_LOAD,
					.transport = TRANSPORT_TCP4,
					.sender = SENDER_ONE,
					.payload = LOAD_GRID_PAYLOAD,
					.head_start = s->head_start,
					.corrupt_at = s->corrupt_at,
					.connections = LOAD_GRID_CONNECTIONS};
		profile_apply(&profiles[i], &c);
		if (users.have_nobody && users.can_switch) {
			c.user = users.nobody;
			push(list, s, &c);
		}
		if (users.can_switch) {
			c.user = users.root;
			push(list, s, &c);
		}
		c.user = (struct cell_user){0};
		c.connections = 1;
		push(list, s, &c);
	}
}

/* Dimensions a profile fixes. */
static bool plain_dims_given(const struct matrix_spec *s)
{
	return s->pipe_sizes.given || s->chunks.given || s->flag_sets.given ||
	       s->pipe_nonblock.given || s->src_nonblock.given || s->dst_nonblock.given ||
	       s->loops.given;
}

/* The preset a spec comes to: the default one when nothing was asked. */
static enum preset resolved_preset(const struct matrix_spec *s)
{
	bool shared_given = s->scenarios.given || s->transports.given || s->payloads.given ||
			    s->senders.given;
	if (!s->preset_given && !plain_dims_given(s) && !shared_given && !s->profiles_given)
		return PRESET_DEFAULT;
	return s->preset;
}

void grid_note_left_out(const struct matrix_spec *spec)
{
	if (resolved_preset(spec) != PRESET_DEFAULT || spec->scenarios.given)
		return;
	struct load_users users;
	find_load_users(&users);
	if (!users.can_switch)
		fprintf(stderr, "splicelab: not root: the load cells as nobody and as root are "
				"left out\n");
	else if (!users.have_nobody)
		fprintf(stderr, "splicelab: no user 'nobody' in /etc/passwd: the unprivileged "
				"load cells are left out\n");
}

/* --relay-cmd: the user's program in every cell; only what reaches it
 * from outside (transport, sender, payload) is a dimension. */
static void expand_relay_cmd(const struct matrix_spec *s, struct cell_list *list)
{
	for (size_t t = 0; t < s->transports.count; t++)
		for (size_t k = 0; k < s->senders.count; k++)
			for (size_t p = 0; p < s->payloads.count; p++) {
				struct cell_params c = {
					.scenario = SCENARIO_PROXY,
					.transport = (enum transport)s->transports.values[t],
					.sender = (enum sender_style)s->senders.values[k],
					.payload = s->payloads.values[p],
					.head_start = s->head_start,
					.corrupt_at = -1,
					.connections = s->connections ? s->connections : 1,
					.relay_cmd = s->relay_cmd,
				};
				push(list, s, &c);
			}
}

struct cell_params *grid_expand(const struct matrix_spec *given, size_t *count)
{
	struct matrix_spec spec = *given;
	struct cell_list list = {0};
	if (spec.relay_cmd) {
		fill_defaults(&spec);
		expand_relay_cmd(&spec, &list);
		*count = list.failed ? 0 : list.count;
		if (list.failed)
			free(list.cells);
		return list.failed ? NULL : list.cells;
	}
	bool plain_given = plain_dims_given(&spec);
	spec.preset = resolved_preset(&spec);
	if ((spec.preset != PRESET_NONE) && !spec.profiles_given) {
		spec.profile_count = 0;
		for (size_t i = 0; i < profile_count; i++)
			spec.profiles[spec.profile_count++] = &profiles[i];
	}
	/* Profile cells are proxy cells unless scenarios were asked for. */
	struct choice_list profile_scenarios = {.count = 1, .values = {SCENARIO_PROXY}};
	if (spec.scenarios.given)
		profile_scenarios = spec.scenarios;
	bool payloads_given = spec.payloads.given;
	bool profiles_only = spec.preset == PRESET_PROFILES ||
			     (spec.preset == PRESET_NONE && spec.profiles_given && !plain_given);
	fill_defaults(&spec);

	if (spec.preset == PRESET_QUICK) {
		expand_quick(&spec, &list);
		expand_profiles(&spec, &profile_scenarios, quick_profile_payloads, 2, &list);
	} else if (profiles_only) {
		if (payloads_given)
			expand_profiles(&spec, &profile_scenarios, spec.payloads.values,
					spec.payloads.count, &list);
		else
			expand_profiles(&spec, &profile_scenarios, profile_payloads, 2, &list);
	} else {
		expand_plain(&spec, &list);
		if (spec.preset == PRESET_DEFAULT || spec.profiles_given)
			expand_profiles(&spec, &profile_scenarios, profile_payloads, 2, &list);
		if (spec.preset == PRESET_DEFAULT && !spec.scenarios.given)
			expand_load(&spec, &list);
	}
	if (list.failed) {
		free(list.cells);
		*count = 0;
		return NULL;
	}
	*count = list.count;
	return list.cells;
}
