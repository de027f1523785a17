package io.trackedge.cli;

import io.trackedge.EdgeApp;
import io.trackedge.config.ConfigException;
import io.trackedge.config.EdgeConfig;
import io.trackedge.http.CannotListenException;
import io.trackedge.token.KeyRing;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import sun.misc.Signal;

/** {@code edge serve}: runs the edge until SIGTERM or SIGINT, then drains and exits 0. */
@Command(name = "serve", mixinStandardHelpOptions = true,
        description = "Run the tracking edge. SIGTERM/SIGINT stop accepting, drain the ring into the journal, "
                + "flush it and exit 0.")
public final class ServeCommand implements Callable<Integer> {

    private static final Logger log = LoggerFactory.getLogger(ServeCommand.class);

    @Mixin
    ConfigOption config;

    @Override
    public Integer call() throws Exception {
        EdgeConfig cfg;
        KeyRing keys;
        try {
            cfg = config.load();
            keys = Keys.load(cfg);
            if (cfg.postgresSink().enabled()) {
                cfg.requireDatabaseChoice();
            }
        } catch (ConfigException e) {
            System.err.println(e.getMessage());
            return 2;
        }
        String publicUrl = io.trackedge.config.PublicUrlSetting.problem(cfg.publicUrl(), cfg.profile());
        if (publicUrl != null) { // serve signs nothing; what signs on it (token, rewrite) refuses it, doctor fails it
            log.warn("{}", publicUrl);
        }
        CountDownLatch stop = new CountDownLatch(1);
        // Handling the signals ourselves (rather than in a shutdown hook) lets a clean stop exit 0.
        Signal.handle(new Signal("TERM"), s -> stop.countDown());
        Signal.handle(new Signal("INT"), s -> stop.countDown());
        EdgeApp app;
        try {
            app = EdgeApp.start(cfg, keys);
        } catch (ConfigException e) { // what the configuration asks cannot be kept to with this data folder
            System.err.println(e.getMessage());
            return 2;
        } catch (CannotListenException e) { // a port in use may come free: 1, which the unit's restart tries again
            System.err.println(e.getMessage());
            return 1;
        }
        System.out.printf("edge listening on http://%s:%d (admin http://%s:%d)%n", cfg.http().bind(), app.port(),
                cfg.admin().bind(), app.adminPort());
        System.out.flush();
        stop.await();
        log.info("stop signal received; draining");
        app.stop();
        return 0;
    }
}
