package io.trackedge.config;

/** Deployment profile: production refuses unsafe defaults that development fills in. */
public enum Profile {
    DEVELOPMENT,
    PRODUCTION
}
