//! What azure-ai-ml knows of Spark by name: the instance types it accepts and the `conf` keys it
//! reads (lowering checks them, the Azure ML emitter sends them).

/// The Spark instance types azure-ai-ml accepts, in any case (`SparkResourceConfiguration`).
pub const INSTANCE_TYPES: [&str; 5] =
    ["standard_e4s_v3", "standard_e8s_v3", "standard_e16s_v3", "standard_e32s_v3", "standard_e64s_v3"];

/// Cores of the driver.
pub const DRIVER_CORES: &str = "spark.driver.cores";
/// Memory of the driver.
pub const DRIVER_MEMORY: &str = "spark.driver.memory";
/// Cores of each executor.
pub const EXECUTOR_CORES: &str = "spark.executor.cores";
/// Memory of each executor.
pub const EXECUTOR_MEMORY: &str = "spark.executor.memory";
/// Executors, without dynamic allocation.
pub const EXECUTOR_INSTANCES: &str = "spark.executor.instances";
/// Whether executors are allocated dynamically.
pub const DYNAMIC_ALLOCATION: &str = "spark.dynamicAllocation.enabled";
/// Fewest executors under dynamic allocation.
pub const MIN_EXECUTORS: &str = "spark.dynamicAllocation.minExecutors";
/// Most executors under dynamic allocation.
pub const MAX_EXECUTORS: &str = "spark.dynamicAllocation.maxExecutors";

/// The sizes azure-ai-ml requires of every Spark job whose component it can see.
pub const SIZES: [&str; 4] = [DRIVER_CORES, DRIVER_MEMORY, EXECUTOR_CORES, EXECUTOR_MEMORY];

/// The `conf` keys azure-ai-ml keeps as attributes of a Spark job (`CONF_KEY_MAP`).
pub const PROMOTED: [&str; 8] = [
    DRIVER_CORES,
    DRIVER_MEMORY,
    EXECUTOR_CORES,
    EXECUTOR_MEMORY,
    EXECUTOR_INSTANCES,
    DYNAMIC_ALLOCATION,
    MIN_EXECUTORS,
    MAX_EXECUTORS,
];
