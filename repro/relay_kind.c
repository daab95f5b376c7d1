#include "relay_kind.h"

const struct relay_kind *relay_kind_of(const struct cell_params *params)
{
	if (params->relay_cmd)
		return &relay_external;
	if (params->scenario == SCENARIO_LOAD)
		return &relay_load;
	if (params->scenario == SCENARIO_THROUGHPUT)
		return &relay_throughput;
	if (params->scenario == SCENARIO_VMSPLICE)
		return &relay_vmsplice;
	return &relay_builtin;
}
