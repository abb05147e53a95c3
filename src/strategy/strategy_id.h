/* The strategies by number: what the counters (stats.h) and the registry (strategy.h) share. */
#pragma once

enum strategy_id {
	STRATEGY_AUTO,
	STRATEGY_IOCTL,
	STRATEGY_STATUS,
	STRATEGY_CREDS,
	STRATEGY_COUNT,
};
