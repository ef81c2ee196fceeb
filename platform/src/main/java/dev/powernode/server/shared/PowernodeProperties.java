package dev.powernode.server.shared;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.util.unit.DataSize;

/**
 * Service configuration. Every value has an environment variable (README, Configuration) and a
 * default fit for a developer machine.
 *
 * @param publicUrl base URL the platform is reached at; webhook URLs are built from it
 * @param home directory for generated dev keys and local artifact storage
 * @param jwtSecret base64 HS256 key for API tokens; blank = generated once into {@code home}
 * @param masterKey base64 AES-256 key for secrets at rest; blank = generated once into {@code home}
 * @param maxRequestBody request bodies over this size are refused with 413
 * @param trustedRoot a Sigstore {@code trusted_root.json} for keyless verification (a private
 *     Sigstore deployment); null = the public-good root shipped with the service
 * @param jwtClockSkew how far past {@code exp} (or before {@code nbf}) an API token is still
 *     accepted, for clocks that disagree a little; 0 to 5 minutes, default 5 s
 * @param upload limits of direct uploads
 */
@ConfigurationProperties("powernode")
public record PowernodeProperties(
        URI publicUrl,
        Path home,
        String jwtSecret,
        String masterKey,
        DataSize maxRequestBody,
        Registry registry,
        Ingest ingest,
        Webhook webhook,
        Retention retention,
        Events events,
        Path trustedRoot,
        Duration jwtClockSkew,
        Upload upload) {
    static final Duration MAX_JWT_CLOCK_SKEW = Duration.ofMinutes(5);

    public PowernodeProperties {
        if (publicUrl == null) {
            publicUrl = URI.create("http://127.0.0.1:8080");
        }
        if (home == null) {
            home = Path.of(System.getProperty("user.home"), ".local", "share", "powernode");
        }
        if (maxRequestBody == null) {
            maxRequestBody = DataSize.ofMegabytes(1);
        }
        if (registry == null) {
            registry = new Registry(null, null, null, null);
        }
        if (ingest == null) {
            ingest = new Ingest(null, 0, 0, null, null, null, null);
        }
        if (webhook == null) {
            webhook = new Webhook(null, null, null, null, null, null, null);
        }
        if (retention == null) {
            retention = new Retention(null, null, null);
        }
        if (events == null) {
            events = new Events(null, null);
        }
        if (trustedRoot != null && trustedRoot.toString().isBlank()) {
            trustedRoot = null;
        }
        if (jwtClockSkew == null) {
            jwtClockSkew = Duration.ofSeconds(5);
        }
        if (jwtClockSkew.isNegative() || jwtClockSkew.compareTo(MAX_JWT_CLOCK_SKEW) > 0) {
            throw new IllegalStateException("POWERNODE_JWT_CLOCK_SKEW must be between 0s and 5m, not " + jwtClockSkew);
        }
        if (upload == null) {
            upload = new Upload(null, null, null, null);
        }
    }

    /**
     * Direct uploads (the worker API).
     *
     * @param maxSize the largest {@code size_bytes} an upload may announce
     * @param freeSpaceMargin an upload is refused (507) unless the upload directory's file system
     *     keeps at least this much free beyond the announced size
     * @param expiry an upload still {@code awaiting_upload} this long after its last bytes arrived
     *     (or its announcement) is abandoned: its partial bytes are deleted and it fails
     * @param expiryCron when the sweep for abandoned uploads runs (db-scheduler cron, seconds first)
     */
    public record Upload(DataSize maxSize, DataSize freeSpaceMargin, Duration expiry, String expiryCron) {
        public Upload {
            maxSize = maxSize == null ? DataSize.ofGigabytes(16) : maxSize;
            freeSpaceMargin = freeSpaceMargin == null ? DataSize.ofGigabytes(1) : freeSpaceMargin;
            expiry = expiry == null ? Duration.ofHours(24) : expiry;
            expiryCron = expiryCron == null || expiryCron.isBlank() ? "0 */10 * * * *" : expiryCron;
            if (maxSize.toBytes() <= 0 || freeSpaceMargin.isNegative() || expiry.isNegative() || expiry.isZero()) {
                throw new IllegalStateException(
                        "POWERNODE_UPLOAD_MAX_SIZE and POWERNODE_UPLOAD_EXPIRY must be positive, the free-space"
                                + " margin not negative");
            }
        }
    }

    /**
     * Registries the platform may pull from (no SSRF: an {@code oci_ref} elsewhere is refused).
     *
     * @param allowedHosts {@code host[:port]} entries
     * @param plainHttp registries reached over http (loopback development registries)
     * @param credentials {@code host[:port]=user:password} entries separated by {@code ;}
     * @param readTimeout a transfer with no bytes for this long counts as broken
     */
    public record Registry(
            List<String> allowedHosts, List<String> plainHttp, String credentials, Duration readTimeout) {
        public Registry {
            allowedHosts = clean(allowedHosts);
            plainHttp = clean(plainHttp);
            if (readTimeout == null) {
                readTimeout = Duration.ofSeconds(30);
            }
        }

        /** Parsed {@link #credentials}: registry → [user, password]. */
        public Map<String, String[]> credentialMap() {
            Map<String, String[]> out = new LinkedHashMap<>();
            if (credentials == null || credentials.isBlank()) {
                return out;
            }
            for (String entry : credentials.split(";")) {
                int eq = entry.indexOf('=');
                int colon = entry.indexOf(':', eq + 1);
                if (eq <= 0 || colon < 0) {
                    throw new IllegalStateException(
                            "POWERNODE_REGISTRY_CREDENTIALS entries must look like host:port=user:password");
                }
                out.put(
                        entry.substring(0, eq).strip(),
                        new String[] {entry.substring(eq + 1, colon), entry.substring(colon + 1)});
            }
            return out;
        }

        private static List<String> clean(List<String> in) {
            return in == null
                    ? List.of()
                    : in.stream().map(String::strip).filter(s -> !s.isEmpty()).toList();
        }
    }

    /**
     * The ingest job.
     *
     * @param enabled run ingest jobs in this replica (false: only accept and queue them)
     * @param threads concurrent ingests per replica
     * @param maxAttempts attempts before a transiently failing ingest is marked failed
     * @param backoffBase first retry delay; doubles per attempt up to {@code backoffMax}
     * @param pollingInterval how often the scheduler looks for due jobs
     * @param heartbeatInterval how often running jobs prove they are alive (a dead replica's jobs are
     *     revived after a few missed beats)
     */
    public record Ingest(
            Boolean enabled,
            int threads,
            int maxAttempts,
            Duration backoffBase,
            Duration backoffMax,
            Duration pollingInterval,
            Duration heartbeatInterval) {
        public Ingest {
            enabled = enabled == null || enabled;
            threads = threads <= 0 ? 4 : threads;
            maxAttempts = maxAttempts <= 0 ? 5 : maxAttempts;
            backoffBase = backoffBase == null ? Duration.ofSeconds(5) : backoffBase;
            backoffMax = backoffMax == null ? Duration.ofMinutes(5) : backoffMax;
            pollingInterval = pollingInterval == null ? Duration.ofSeconds(2) : pollingInterval;
            heartbeatInterval = heartbeatInterval == null ? Duration.ofSeconds(5) : heartbeatInterval;
        }

        /** Delay before attempt {@code n + 1} after {@code n} failed ones. */
        public Duration backoff(int failedAttempts) {
            Duration d = backoffBase.multipliedBy(1L << Math.min(20, Math.max(0, failedAttempts - 1)));
            return d.compareTo(backoffMax) > 0 ? backoffMax : d;
        }
    }

    /**
     * The inbound webhook.
     *
     * @param window how far the timestamp may be from the platform's clock
     * @param maxBody larger bodies are refused (and recorded) with 413
     * @param deliveryMaxAge recorded deliveries older than this are deleted by the retention job
     * @param ratePerAddress calls per second one source address may make (token bucket; 0 = no limit)
     * @param burstPerAddress how many calls one source address may make at once
     * @param ratePerWebhook calls per second one webhook may receive (0 = no limit)
     * @param burstPerWebhook how many calls one webhook may receive at once
     */
    public record Webhook(
            Duration window,
            DataSize maxBody,
            Duration deliveryMaxAge,
            Double ratePerAddress,
            Integer burstPerAddress,
            Double ratePerWebhook,
            Integer burstPerWebhook) {
        public Webhook {
            window = window == null ? Duration.ofSeconds(300) : window;
            maxBody = maxBody == null ? DataSize.ofKilobytes(64) : maxBody;
            deliveryMaxAge = deliveryMaxAge == null ? Duration.ofDays(30) : deliveryMaxAge;
            ratePerAddress = ratePerAddress == null ? 50.0 : ratePerAddress;
            burstPerAddress = burstPerAddress == null ? 200 : burstPerAddress;
            ratePerWebhook = ratePerWebhook == null ? 20.0 : ratePerWebhook;
            burstPerWebhook = burstPerWebhook == null ? 100 : burstPerWebhook;
        }
    }

    /**
     * Retention of published artifacts.
     *
     * @param cron when the sweep runs (db-scheduler cron, seconds first; default hourly)
     * @param grace a retired publication stays restorable (rollback target) at least this long
     * @param failedMaxAge failed publications older than this are purged too
     */
    public record Retention(String cron, Duration grace, Duration failedMaxAge) {
        public Retention {
            cron = cron == null || cron.isBlank() ? "0 0 * * * *" : cron;
            grace = grace == null ? Duration.ofHours(24) : grace;
            failedMaxAge = failedMaxAge == null ? Duration.ofDays(7) : failedMaxAge;
        }
    }

    /**
     * Outbound event delivery.
     *
     * @param pollInterval how often due deliveries are sent
     * @param backoffBase first retry delay of a failed delivery, doubling up to an hour
     */
    public record Events(Duration pollInterval, Duration backoffBase) {
        public Events {
            pollInterval = pollInterval == null ? Duration.ofSeconds(2) : pollInterval;
            backoffBase = backoffBase == null ? Duration.ofSeconds(10) : backoffBase;
        }
    }
}
