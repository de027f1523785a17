package io.trackedge.sink.posthog;

import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * One request of the JDK's HTTP client with a deadline over the whole exchange, its answer's body
 * included. The request's own timeout stops counting once the answer's headers arrive (so it is
 * in JDK 21 and 25), and a peer that then stalls mid-body would hold the caller for good: a sink
 * thread, and through it the journal's release. Past the deadline the exchange is cancelled and
 * the caller gets an {@link HttpTimeoutException}, which it retries like any answer that never came.
 */
final class BoundedSend {

    private BoundedSend() {
    }

    /**
     * Sends {@code request} and reads its answer as text, all within {@code deadline}.
     *
     * @throws HttpTimeoutException past the deadline (the exchange cancelled)
     * @throws IOException as {@link HttpClient#send} throws it
     */
    static HttpResponse<String> send(HttpClient client, HttpRequest request, Duration deadline)
            throws IOException, InterruptedException {
        CompletableFuture<HttpResponse<String>> answer = client.sendAsync(request, HttpResponse.BodyHandlers.ofString());
        try {
            return answer.get(deadline.toNanos(), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            answer.cancel(true);
            throw new HttpTimeoutException("no whole answer within " + deadline.toMillis() + " ms");
        } catch (InterruptedException e) {
            answer.cancel(true);
            throw e;
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof IOException io) {
                throw io;
            }
            if (cause instanceof RuntimeException r) {
                throw r;
            }
            if (cause instanceof Error err) {
                throw err;
            }
            throw new IOException(cause);
        }
    }
}
