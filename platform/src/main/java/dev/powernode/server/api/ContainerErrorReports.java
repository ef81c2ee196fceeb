package dev.powernode.server.api;

import dev.powernode.server.shared.Problem;
import dev.powernode.server.shared.ProblemWriter;
import java.io.IOException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.catalina.Host;
import org.apache.catalina.Lifecycle;
import org.apache.catalina.Pipeline;
import org.apache.catalina.Valve;
import org.apache.catalina.connector.Request;
import org.apache.catalina.connector.Response;
import org.apache.catalina.valves.ErrorReportValve;
import org.apache.coyote.ActionCode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.tomcat.servlet.TomcatServletWebServerFactory;
import org.springframework.boot.web.server.WebServerFactoryCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Errors Tomcat answers itself, before any servlet or filter runs (a {@code %00} or {@code %2F} in
 * the path, an unparseable request line): no context is mapped for them, so the {@code /error}
 * page cannot render them and Tomcat's error report valve would answer HTML. The host's report
 * valve is replaced by one that answers problem+json like every other error of the service.
 */
@Configuration(proxyBeanMethods = false)
class ContainerErrorReports {
    @Bean
    WebServerFactoryCustomizer<TomcatServletWebServerFactory> problemJsonErrorReports(ProblemWriter problems) {
        return factory -> factory.addContextCustomizers(context -> {
            Host host = (Host) context.getParent();
            // Boot adds its own ErrorReportValve, and the host adds one when it starts if none is
            // there: replace whichever ended up in the pipeline once the host has started.
            host.addLifecycleListener(event -> {
                if (Lifecycle.AFTER_START_EVENT.equals(event.getType())) {
                    install(host.getPipeline(), problems);
                }
            });
        });
    }

    private static void install(Pipeline pipeline, ProblemWriter problems) {
        boolean present = false;
        for (Valve valve : pipeline.getValves()) {
            if (valve instanceof ProblemJsonReportValve) {
                present = true;
            } else if (valve instanceof ErrorReportValve) {
                pipeline.removeValve(valve);
            }
        }
        if (!present) {
            pipeline.addValve(new ProblemJsonReportValve(problems));
        }
    }

    /** Tomcat's error report, as problem+json; never echoes the request, a stack trace or the server. */
    static final class ProblemJsonReportValve extends ErrorReportValve {
        private static final Logger log = LoggerFactory.getLogger(ProblemJsonReportValve.class);

        private final ProblemWriter problems;

        ProblemJsonReportValve(ProblemWriter problems) {
            this.problems = problems;
            setShowReport(false);
            setShowServerInfo(false);
        }

        @Override
        protected void report(Request request, Response response, Throwable throwable) {
            int status = response.getStatus();
            if (status < 400 || response.getContentWritten() > 0 || !response.setErrorReported()) {
                return;
            }
            AtomicBoolean ioAllowed = new AtomicBoolean(false);
            response.getCoyoteResponse().action(ActionCode.IS_IO_ALLOWED, ioAllowed);
            if (!ioAllowed.get()) {
                return;
            }
            Problem problem = Problem.ofStatus(status);
            if (status == 400) {
                problem = problem.withDetail("the request line, its URL or its headers are malformed");
            } else if (status >= 500) {
                // no request id was given out: the request never reached the filters
                problem = problem.withDetail("an unexpected error occurred");
            }
            try {
                response.setSuspended(false);
                response.setHeader("X-Content-Type-Options", "nosniff");
                response.setHeader("Cache-Control", "no-store");
                problems.write(response, problem, null);
                response.finishResponse();
            } catch (IOException | RuntimeException e) {
                log.debug("could not write the container's error report", e);
            }
        }
    }
}
