package dev.powernode.server.ingest;

import com.github.kagkarlsson.scheduler.task.CompletionHandler;
import com.github.kagkarlsson.scheduler.task.helper.CustomTask;
import com.github.kagkarlsson.scheduler.task.helper.Tasks;
import java.time.Instant;
import java.util.UUID;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** The ingest job, one instance per publication id (scheduling one twice is a no-op). */
@Configuration(proxyBeanMethods = false)
class IngestTask {
    static final String TASK = "ingest-publication";

    @Bean
    CustomTask<Void> ingestPublicationTask(DiskImagePublicationProcessor processor) {
        return Tasks.custom(TASK, Void.class).execute((instance, context) -> {
            Instant retryAt = processor.process(UUID.fromString(instance.getId()));
            if (retryAt == null) {
                return new CompletionHandler.OnCompleteRemove<>();
            }
            return (complete, ops) -> ops.reschedule(complete, retryAt);
        });
    }
}
