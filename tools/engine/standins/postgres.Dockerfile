# Stand-in for postgres:16-bookworm: Debian's PostgreSQL 15 (bookworm has no 16), with an entrypoint
# that does what the compose file relies on: POSTGRES_PASSWORD and POSTGRES_DB on first start,
# password logins from other containers, `postgres -c ...` as the command, pg_isready for the healthcheck.
FROM rinha-standin/bookworm:latest
RUN apt-get update -qq \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql-15 >/dev/null \
 && rm -rf /var/lib/apt/lists/* \
 && mkdir -p /var/lib/postgresql/data /var/run/postgresql \
 && chown -R postgres:postgres /var/lib/postgresql /var/run/postgresql
ENV PATH=/usr/lib/postgresql/15/bin:$PATH PGDATA=/var/lib/postgresql/data
COPY postgres-entrypoint.sh /usr/local/bin/docker-entrypoint.sh
ENTRYPOINT ["docker-entrypoint.sh"]
STOPSIGNAL SIGINT
EXPOSE 5432
CMD ["postgres"]
