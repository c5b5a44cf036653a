//! tasim: the edge of the simulator (YAML topologies, CLI, reports).
