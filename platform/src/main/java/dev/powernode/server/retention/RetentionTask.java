package dev.powernode.server.retention;

import com.github.kagkarlsson.scheduler.task.helper.RecurringTask;
import com.github.kagkarlsson.scheduler.task.helper.Tasks;
import com.github.kagkarlsson.scheduler.task.schedule.Schedules;
import dev.powernode.server.shared.PowernodeProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** The recurring retention sweep (POWERNODE_RETENTION_CRON, default hourly); one replica runs it at a time. */
@Configuration(proxyBeanMethods = false)
class RetentionTask {
    @Bean
    RecurringTask<Void> diskImageRetentionTask(RetentionPolicy policy, PowernodeProperties props) {
        return Tasks.recurring(
                        "disk-image-retention", Schedules.cron(props.retention().cron()))
                .execute((instance, context) -> policy.run(null));
    }
}
