-- metrics.metric_values (contract §2): one row per metric, grain, period and scope.
CREATE OR REPLACE TABLE metrics.metric_values (
    metric VARCHAR NOT NULL,
    grain VARCHAR NOT NULL,
    period_start DATE NOT NULL,
    scope VARCHAR NOT NULL,
    scope_id VARCHAR NOT NULL,
    value DOUBLE,
    numerator DOUBLE,
    denominator DOUBLE,
    sample_size BIGINT NOT NULL
);
