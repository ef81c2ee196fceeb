package dev.powernode.server.retention;

import com.github.kagkarlsson.scheduler.task.helper.RecurringTask;
import com.github.kagkarlsson.scheduler.task.helper.Tasks;
import com.github.kagkarlsson.scheduler.task.schedule.Schedules;
import dev.powernode.server.node.Nodes;
import dev.powernode.server.webhook.WebhookDeliveries;
import dev.powernode.server.webhook.WebhookProperties;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The recurring retention sweep (POWERNODE_RETENTION_CRON, default hourly); one replica runs it at
 * a time. Besides artifacts it deletes webhook deliveries older than
 * POWERNODE_WEBHOOK_DELIVERY_MAX_AGE and node reports older than POWERNODE_NODES_REPORT_MAX_AGE
 * (default 30 days each).
 */
@Configuration(proxyBeanMethods = false)
class RetentionTask {
    private static final Logger log = LoggerFactory.getLogger(RetentionTask.class);

    @Bean
    RecurringTask<Void> diskImageRetentionTask(
            RetentionPolicy policy,
            WebhookDeliveries deliveries,
            Nodes nodes,
            RetentionProperties retention,
            WebhookProperties webhook) {
        return Tasks.recurring("disk-image-retention", Schedules.cron(retention.cron()))
                .execute((instance, context) -> {
                    policy.run(null);
                    int purged = deliveries.purgeOlderThan(webhook.deliveryMaxAge());
                    if (purged > 0) {
                        log.info(
                                "retention deleted {} webhook deliveries older than {}",
                                purged,
                                webhook.deliveryMaxAge());
                    }
                    int reports = nodes.purgeOldReports();
                    if (reports > 0) {
                        log.info("retention deleted {} node reports past their maximum age", reports);
                    }
                });
    }
}
