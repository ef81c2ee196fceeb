package dev.powernode.server.jobs;

import com.github.kagkarlsson.scheduler.Scheduler;
import com.github.kagkarlsson.scheduler.SchedulerClient;
import com.github.kagkarlsson.scheduler.SchedulerName;
import com.github.kagkarlsson.scheduler.task.OnStartup;
import com.github.kagkarlsson.scheduler.task.Task;
import com.github.kagkarlsson.scheduler.task.helper.RecurringTask;
import java.util.ArrayList;
import java.util.List;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;
import org.springframework.jdbc.datasource.TransactionAwareDataSourceProxy;
import org.springframework.stereotype.Component;

/**
 * db-scheduler, running every job the modules declare as {@link Task} beans (ingest, retention,
 * upload expiry, event delivery). Jobs live in PostgreSQL ({@code scheduled_tasks}, owned by this
 * module) and are picked with {@code SKIP LOCKED}, so replicas share the work and a dead replica's
 * jobs are revived after a few missed heartbeats. The data source joins Spring transactions: a job
 * scheduled inside a transaction commits or rolls back with it.
 */
@Component
public class Jobs implements SmartLifecycle {
    private static final Logger log = LoggerFactory.getLogger(Jobs.class);

    private final Scheduler scheduler;
    private final boolean enabled;
    private volatile boolean running;

    Jobs(DataSource dataSource, JobsProperties cfg, List<Task<?>> tasks) {
        this.enabled = cfg.enabled();
        // recurring tasks are scheduled at start-up; db-scheduler registers them itself
        List<RecurringTask<?>> recurring = new ArrayList<>();
        List<Task<?>> oneTime = new ArrayList<>();
        for (Task<?> t : tasks) {
            if (t instanceof RecurringTask<?> r && t instanceof OnStartup) {
                recurring.add(r);
            } else {
                oneTime.add(t);
            }
        }
        this.scheduler = Scheduler.create(new TransactionAwareDataSourceProxy(dataSource), oneTime)
                .startTasks(recurring)
                .threads(cfg.threads())
                .pollingInterval(cfg.pollingInterval())
                .heartbeatInterval(cfg.heartbeatInterval())
                .missedHeartbeatsLimit(4)
                // picked_by names the replica (host and process), so a job's runner can be told apart
                .schedulerName(new SchedulerName.Fixed(replicaName()))
                .enableImmediateExecution()
                .build();
    }

    static String replicaName() {
        String host;
        try {
            host = java.net.InetAddress.getLocalHost().getHostName();
        } catch (java.net.UnknownHostException e) {
            host = "localhost";
        }
        return host + "#" + ProcessHandle.current().pid();
    }

    /** Schedules job instances; joins the caller's transaction. */
    public SchedulerClient client() {
        return scheduler;
    }

    /**
     * Looks for due jobs now instead of at the next poll: for jobs written by plain SQL (the
     * webhook intake), after their transaction committed.
     */
    public void checkNow() {
        if (enabled && running) {
            scheduler.triggerCheckForDueExecutions();
        }
    }

    @Override
    public void start() {
        if (enabled) {
            scheduler.start();
            log.info("job scheduler started");
        } else {
            log.warn("background jobs are not run by this replica (POWERNODE_INGEST_ENABLED=false)");
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
