package dev.powernode.server.jobs;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;

/**
 * What an operator watches of the shared job table, read at each scrape (the same numbers on
 * every replica, since they come from the database): {@code powernode_jobs_lag_seconds}, how long
 * the oldest due job has waited to be picked (grows when no replica runs jobs, or all are busy),
 * {@code powernode_jobs_due} jobs due and not picked, and {@code powernode_jobs_running} picked ones
 * (a running job whose replica died stays here until its heartbeat times out).
 */
@Component
class JobMetrics {
    private final JdbcClient jdbc;

    JobMetrics(JdbcClient jdbc, MeterRegistry meters) {
        this.jdbc = jdbc;
        Gauge.builder("powernode.jobs.lag", this, JobMetrics::lagSeconds)
                .baseUnit("seconds")
                .description("how long the oldest due job has waited for a replica")
                .register(meters);
        Gauge.builder("powernode.jobs.due", this, m -> m.count(false))
                .description("jobs due and not picked by any replica")
                .register(meters);
        Gauge.builder("powernode.jobs.running", this, m -> m.count(true))
                .description("jobs picked by a replica")
                .register(meters);
    }

    private double lagSeconds() {
        return jdbc.sql("""
                select coalesce(extract(epoch from now() - min(execution_time)), 0) from scheduled_tasks
                where not picked and execution_time <= now()
                """).query(Double.class).single();
    }

    private double count(boolean picked) {
        return picked
                ? jdbc.sql("select count(*) from scheduled_tasks where picked")
                        .query(Long.class)
                        .single()
                : jdbc.sql("select count(*) from scheduled_tasks where not picked and execution_time <= now()")
                        .query(Long.class)
                        .single();
    }
}
