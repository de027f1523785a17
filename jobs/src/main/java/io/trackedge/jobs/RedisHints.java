package io.trackedge.jobs;

import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.SetArgs;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.resource.EpollProvider;
import io.lettuce.core.resource.IOUringProvider;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulRedisConnection;
import java.time.Duration;
import java.util.List;
import java.util.UUID;

/**
 * The Redis side of dispatch: one list per priority holding "try job X" hints (job ids), pushed
 * on the left and popped on the right. A hint carries no ownership and may be lost, repeated or
 * stale; {@link JobStore#claim} decides. Commands fail at once while Redis is unreachable (the
 * caller then claims from PostgreSQL), and the connection comes back by itself when Redis does.
 *
 * <p>Not thread-safe beyond what lettuce's connection is; each runner has its own.
 */
public final class RedisHints implements AutoCloseable {

    /** Redis did not answer; the message says why. */
    public static final class Unavailable extends Exception {
        Unavailable(String message, Throwable cause) {
            super(message, cause);
        }
    }

    private static final Duration RECONNECT_PAUSE = Duration.ofSeconds(1);

    private final RedisClient client;
    private final String prefix;
    private StatefulRedisConnection<String, String> connection;
    private long nextConnectNanos;
    private String lastConnectError = "";

    /**
     * @param url {@code redis://host:port[/db]}
     * @param prefix key prefix, e.g. {@code trackedge:jobs:}
     */
    public RedisHints(String url, String prefix) {
        this.prefix = prefix;
        RedisURI uri = RedisURI.create(url);
        uri.setTimeout(Duration.ofSeconds(2));
        this.client = RedisClient.create(uri);
        client.setOptions(ClientOptions.builder()
                // Buffering commands while disconnected would stall the runner; failing lets it use PostgreSQL.
                .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                .socketOptions(socketOptions())
                .timeoutOptions(TimeoutOptions.enabled(Duration.ofSeconds(2)))
                .build());
    }

    /**
     * A Redis host that vanishes without a reset (power, network) leaves a connection lettuce thinks is
     * up, and every command waits out its timeout until the kernel gives up (about 15 minutes). With a
     * native transport (the edge's epoll), keep-alive probes find it idle within about 20 s and the user
     * timeout within 5 s of an unanswered command; lettuce then reconnects, and meanwhile rejects
     * commands at once. Without one (lettuce refuses the options there), the kernel's keep-alive.
     */
    static SocketOptions socketOptions() {
        SocketOptions.Builder b = SocketOptions.builder().connectTimeout(Duration.ofSeconds(1));
        if (EpollProvider.isAvailable() || IOUringProvider.isAvailable()) {
            b.keepAlive(SocketOptions.KeepAliveOptions.builder().enable().idle(Duration.ofSeconds(10))
                            .interval(Duration.ofSeconds(3)).count(3).build())
                    .tcpUserTimeout(SocketOptions.TcpUserTimeoutOptions.builder().enable().tcpUserTimeout(Duration.ofSeconds(5)).build());
        } else {
            b.keepAlive(true);
        }
        return b.build();
    }

    /** The list holding hints of priority {@code p}. */
    public String key(int priority) {
        return prefix + "ready:" + priority;
    }

    public void push(UUID jobId, int priority) throws Unavailable {
        try {
            connection().sync().lpush(key(priority), jobId.toString());
        } catch (RuntimeException e) {
            throw unavailable("push", e);
        }
    }

    /**
     * Writes a short-lived probe key: succeeds only when Redis takes writes, as a push needs (one past
     * its {@code maxmemory} with {@code noeviction} refuses it, as it refuses pushes, while it answers reads).
     */
    public void probeWrite() throws Unavailable {
        try {
            connection().sync().set(prefix + "write-probe", "1", SetArgs.Builder.px(10_000));
        } catch (RuntimeException e) {
            throw unavailable("write probe", e);
        }
    }

    /** Whether {@code jobId}'s hint waits in the queue of {@code priority} (LPOS: a scan of that list, Redis 6.0.6+). */
    public boolean queued(UUID jobId, int priority) throws Unavailable {
        try {
            return connection().sync().lpos(key(priority), jobId.toString()) != null;
        } catch (RuntimeException e) {
            throw unavailable("lpos", e);
        }
    }

    /** Pops the oldest hint of the most urgent non-empty queue; null when every queue is empty. */
    public UUID pop(List<Integer> priorities) throws Unavailable {
        try {
            var sync = connection().sync();
            for (int p : priorities) {
                String id = sync.rpop(key(p));
                if (id != null) {
                    try {
                        return UUID.fromString(id);
                    } catch (IllegalArgumentException e) {
                        continue; // not ours; a hint is only ever a job id
                    }
                }
            }
            return null;
        } catch (RuntimeException e) {
            throw unavailable("pop", e);
        }
    }

    /** Hints waiting in every queue (duplicates and stale hints included). */
    public long length(List<Integer> priorities) throws Unavailable {
        try {
            long n = 0;
            for (int p : priorities) {
                n += connection().sync().llen(key(p));
            }
            return n;
        } catch (RuntimeException e) {
            throw unavailable("llen", e);
        }
    }

    private StatefulRedisConnection<String, String> connection() throws Unavailable {
        if (connection != null) {
            return connection;
        }
        long now = System.nanoTime();
        if (now - nextConnectNanos < 0) {
            throw new Unavailable(lastConnectError + "; next connect attempt in " + (nextConnectNanos - now) / 1_000_000 + " ms",
                    null);
        }
        try {
            connection = client.connect();
            return connection;
        } catch (RuntimeException e) {
            nextConnectNanos = now + RECONNECT_PAUSE.toNanos();
            Unavailable u = unavailable("connect", e);
            lastConnectError = u.getMessage();
            throw u;
        }
    }

    private static Unavailable unavailable(String what, RuntimeException e) {
        return new Unavailable("redis " + what + " failed: " + e.getMessage(), e);
    }

    @Override
    public void close() {
        if (connection != null) {
            connection.close();
        }
        client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
    }
}
