package dev.powernode.server.ingest;

import com.github.kagkarlsson.scheduler.Scheduler;
import com.github.kagkarlsson.scheduler.task.CompletionHandler;
import com.github.kagkarlsson.scheduler.task.Task;
import com.github.kagkarlsson.scheduler.task.helper.CustomTask;
import com.github.kagkarlsson.scheduler.task.helper.Tasks;
import dev.powernode.server.shared.PowernodeProperties;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;
import org.springframework.jdbc.datasource.TransactionAwareDataSourceProxy;
import org.springframework.stereotype.Component;

/**
 * db-scheduler, running the ingest job. Its data source joins Spring transactions, so a job
 * scheduled inside a transaction commits (or rolls back) with the state change that asked for it.
 * Jobs are keyed by publication id: scheduling one twice is a no-op.
 */
@Component
class IngestScheduler implements SmartLifecycle {
    static final String TASK = "ingest-publication";
    private static final Logger log = LoggerFactory.getLogger(IngestScheduler.class);

    private final CustomTask<Void> task;
    private final Scheduler scheduler;
    private final boolean enabled;
    private final java.time.Clock clock;
    private volatile boolean running;

    IngestScheduler(
            DataSource dataSource,
            PowernodeProperties props,
            DiskImagePublicationProcessor processor,
            java.time.Clock clock) {
        this.clock = clock;
        PowernodeProperties.Ingest cfg = props.ingest();
        this.enabled = cfg.enabled();
        this.task = Tasks.custom(TASK, Void.class).execute((instance, context) -> {
            UUID id = UUID.fromString(instance.getId());
            Instant retryAt = processor.process(id);
            if (retryAt == null) {
                return new CompletionHandler.OnCompleteRemove<>();
            }
            return (complete, ops) -> ops.reschedule(complete, retryAt);
        });
        this.scheduler = Scheduler.create(new TransactionAwareDataSourceProxy(dataSource), List.<Task<?>>of(task))
                .threads(cfg.threads())
                .pollingInterval(cfg.pollingInterval())
                .heartbeatInterval(cfg.heartbeatInterval())
                .missedHeartbeatsLimit(4)
                .enableImmediateExecution()
                .build();
    }

    /** Schedules the ingest of a publication now; joins the caller's transaction. */
    void scheduleNow(UUID publicationId) {
        scheduler.scheduleIfNotExists(task.instance(publicationId.toString()), clock.instant());
    }

    @Override
    public void start() {
        if (enabled) {
            scheduler.start();
            log.info("ingest scheduler started");
        } else {
            log.warn("ingest jobs are not run by this replica (powernode.ingest.enabled=false)");
        }
        running = true;
    }

    @Override
    public void stop() {
        if (enabled) {
            scheduler.stop();
        }
        running = false;
    }

    @Override
    public boolean isRunning() {
        return running;
    }
}
