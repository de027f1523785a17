package io.trackedge.sink.posthog;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Asks PostHog whether a project has the sink's key, before anything is sent with it. PostHog's capture
 * endpoints ({@code /batch/}, {@code /capture/}, {@code /e/}) answer 200 {@code {"status":"Ok"}} to any key of
 * a valid shape and drop an unknown key's events later, in ingestion (PostHog's {@code rust/capture} validates
 * only the shape at the edge): a mistyped {@code phc_} key would move the cursor over every event with none
 * delivered. Only {@code /decide/} (and {@code /flags/}) answer 401 to a key no project has.
 *
 * <p>{@code POST {host}/decide/?v=3} with {@code {"api_key": key, "distinct_id": "trackedge-key-check"}}, as
 * PostHog's SDKs ask for feature flags. 2xx: the key is good, and not asked about again for
 * {@link #VALID_FOR}. 401 or 403: {@link PostHogKeyRefusedException}, asked again next time. Anything else (no
 * answer, 404 from a self-hosted PostHog without {@code /decide/}, 5xx) says nothing about the key: logged once
 * at WARN, the events are sent anyway (a missing endpoint must not stop delivery), and it is asked again after
 * {@link #UNSURE_FOR}. Used by one thread at a time.
 */
final class PostHogKeyCheck {

    private static final Logger log = LoggerFactory.getLogger(PostHogKeyCheck.class);
    /** How long a key PostHog knew is not asked about again: reopens after failures do not each ask. */
    static final Duration VALID_FOR = Duration.ofMinutes(10);
    /** How long after an answer that said nothing about the key it is asked about again. */
    static final Duration UNSURE_FOR = Duration.ofMinutes(1);
    static final String DISTINCT_ID = "trackedge-key-check";

    private final HttpClient client;
    private final URI endpoint;
    private final byte[] body;
    private final String shownKey;
    private final Duration timeout;
    private final LongSupplier nanoClock;
    /** {@link #nanoClock} time before which the last answer stands; valid while {@link #answered}. */
    private long askAgainAt;
    private boolean answered;
    /** An answer that said nothing about the key was logged at WARN, and no answer that did came since. */
    private boolean warned;
    /** Whether the last answer said nothing of the key ({@link #unsure}). */
    private boolean unsure;

    /**
     * @param client shared with the sink's {@link BatchApi} (not closed here)
     * @param nanoClock {@link System#nanoTime}, or a test's
     */
    PostHogKeyCheck(HttpClient client, URI host, String apiKey, Duration timeout, LongSupplier nanoClock) {
        this.client = client;
        String h = host.toString();
        while (h.endsWith("/")) {
            h = h.substring(0, h.length() - 1);
        }
        this.endpoint = URI.create(h + "/decide/?v=3");
        StringBuilder sb = new StringBuilder("{\"api_key\":");
        PostHogEvents.quote(sb, apiKey);
        sb.append(",\"distinct_id\":\"").append(DISTINCT_ID).append("\"}");
        this.body = sb.toString().getBytes(StandardCharsets.UTF_8);
        // A project key is no secret (it is in every web page that loads PostHog); its start tells keys apart.
        this.shownKey = apiKey.length() <= 8 ? apiKey : apiKey.substring(0, 8) + "...";
        this.timeout = timeout;
        this.nanoClock = nanoClock;
    }

    URI endpoint() {
        return endpoint;
    }

    /**
     * Returns at once while the last answer stands; else asks PostHog.
     *
     * @throws PostHogKeyRefusedException PostHog answered 401 (or 403 saying the key is invalid): no project has the key
     */
    void verify() throws PostHogKeyRefusedException, InterruptedException {
        long now = nanoClock.getAsLong();
        if (answered && now - askAgainAt < 0) {
            return;
        }
        answered = false;
        int status;
        String text;
        try {
            HttpResponse<String> r = BoundedSend.send(client, HttpRequest.newBuilder(endpoint)
                    .timeout(timeout)
                    .header("Content-Type", "application/json")
                    .header("User-Agent", "trackedge-posthog-sink")
                    .POST(HttpRequest.BodyPublishers.ofByteArray(body))
                    .build(), timeout);
            status = r.statusCode();
            text = r.body() == null ? "" : r.body().length() > 200 ? r.body().substring(0, 200) + "..." : r.body();
        } catch (IOException e) {
            unsure(now, "no answer (" + e + ")");
            return;
        }
        // PostHog answers an unknown key 401 with {"type":"authentication_error","code":"invalid_api_key"}; a 403
        // is more often a proxy's or a firewall's, which says nothing of the key.
        if (status == 401 || status == 403 && (text.contains("invalid_api_key") || text.contains("authentication_error"))) {
            warned = false;
            throw new PostHogKeyRefusedException("PostHog refused the project key " + shownKey + " as no project's ("
                    + endpoint + " answered " + status + " " + text + "): check edge.sink.posthog.api-key"
                    + " (EDGE_SINK_POSTHOG_API_KEY); nothing is sent until it is right", status);
        }
        if (status >= 200 && status < 300) {
            if (warned) {
                log.info("PostHog's {} answers again: the project key {} is known", endpoint, shownKey);
            }
            warned = false;
            unsure = false;
            answered = true;
            askAgainAt = now + VALID_FOR.toNanos();
            return;
        }
        unsure(now, "the answer " + status + " " + text);
    }

    /**
     * Forgets an answer that said nothing of the key (no answer, a 5xx): asked again at the next check. The
     * sink's reopen after a failure calls it, so that a backlog held by an outage is not sent, once PostHog
     * answers, on the word of an answer from the outage, with a key PostHog would refuse.
     */
    void forgetUnsure() {
        if (unsure) {
            answered = false;
        }
    }

    private void unsure(long now, String what) {
        unsure = true;
        answered = true;
        askAgainAt = now + UNSURE_FOR.toNanos();
        if (!warned) {
            warned = true;
            log.warn("cannot check the PostHog project key {} at {}: {}; sending anyway (PostHog takes an unknown key's"
                    + " events with 200 and drops them: if none arrive, check edge.sink.posthog.api-key)", shownKey, endpoint, what);
        } else {
            log.debug("cannot check the PostHog project key at {}: {}", endpoint, what);
        }
    }
}
