package dev.powernode.server.upload;

import com.github.kagkarlsson.scheduler.task.helper.RecurringTask;
import com.github.kagkarlsson.scheduler.task.helper.Tasks;
import com.github.kagkarlsson.scheduler.task.schedule.Schedules;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The recurring sweep for abandoned direct uploads (POWERNODE_UPLOAD_EXPIRY_CRON, default every
 * 10 minutes); one replica runs it at a time, and running it twice changes nothing.
 */
@Configuration(proxyBeanMethods = false)
class UploadExpiryTask {
    private static final Logger log = LoggerFactory.getLogger(UploadExpiryTask.class);

    @Bean
    RecurringTask<Void> directUploadExpiryTask(DiskImageDirectUploadIngestService uploads, UploadProperties props) {
        return Tasks.recurring("direct-upload-expiry", Schedules.cron(props.expiryCron()))
                .execute((instance, context) -> {
                    int expired = uploads.expireAbandoned();
                    if (expired > 0) {
                        log.info("expired {} abandoned direct upload(s)", expired);
                    }
                });
    }
}
