package io.trackedge.sink.posthog;

import io.trackedge.sink.Json;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Objects;

/**
 * Asks PostHog to delete a person and its events, for an erasure: PostHog's private API
 * {@code POST {api-host}/api/projects/{project-id}/persons/bulk_delete/} with
 * {@code {"distinct_ids": [..], "delete_events": true}} and a personal API key as bearer token
 * (the project key the sink captures with cannot delete). PostHog queues the deletion of the
 * events; the answer only says it was accepted.
 *
 * <p>Returns what the erasure audit records: {@code requested} on a 2xx, else {@code failed: ...}.
 * It never throws for PostHog's answer: the rows are deleted by then, and the audit says what
 * PostHog said, so a person can retry the PostHog part.
 */
public final class PersonDeletion {

    /**
     * @param apiHost PostHog's app host, e.g. {@code https://us.posthog.com} (not the {@code .i.} capture host)
     * @param projectId the numeric project id
     * @param personalApiKey a personal API key with {@code person:write}
     */
    public record Settings(URI apiHost, String projectId, String personalApiKey, Duration timeout) {
        public Settings {
            Objects.requireNonNull(apiHost, "apiHost");
            if (projectId == null || !projectId.matches("[0-9]+|@current")) {
                throw new IllegalArgumentException("project id must be a number, got " + projectId);
            }
            if (personalApiKey == null || personalApiKey.isBlank()) {
                throw new IllegalArgumentException("the personal API key must not be empty");
            }
        }

        @Override
        public String toString() {
            return "Settings[apiHost=" + apiHost + ", projectId=" + projectId + ", personalApiKey=<redacted>, timeout=" + timeout + "]";
        }
    }

    private final Settings settings;
    private final HttpClient client;

    public PersonDeletion(Settings settings) {
        this.settings = settings;
        this.client = HttpClient.newBuilder().connectTimeout(settings.timeout())
                .followRedirects(HttpClient.Redirect.NEVER).build();
    }

    public URI endpoint() {
        String h = settings.apiHost().toString().replaceAll("/+$", "");
        return URI.create(h + "/api/projects/" + settings.projectId() + "/persons/bulk_delete/");
    }

    /** Deletes the person known by {@code distinctId}, with its events. */
    public String delete(String distinctId) {
        StringBuilder body = new StringBuilder("{\"distinct_ids\":[");
        Json.quote(body, distinctId);
        body.append("],\"delete_events\":true}");
        HttpRequest req = HttpRequest.newBuilder(endpoint())
                .timeout(settings.timeout())
                .header("Content-Type", "application/json")
                .header("Authorization", "Bearer " + settings.personalApiKey())
                .POST(HttpRequest.BodyPublishers.ofString(body.toString(), StandardCharsets.UTF_8))
                .build();
        try {
            HttpResponse<String> r = BoundedSend.send(client, req, settings.timeout());
            if (r.statusCode() >= 200 && r.statusCode() < 300) {
                return "requested";
            }
            String b = r.body() == null ? "" : r.body();
            return "failed: " + r.statusCode() + " " + (b.length() > 200 ? b.substring(0, 200) : b);
        } catch (IOException e) {
            return "failed: " + e;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "failed: interrupted";
        }
    }
}
