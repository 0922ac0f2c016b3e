# Stand-in for redis:7-bookworm: Debian's redis-server 7.0 and redis-cli, started from /data like the
# official image (which runs as the redis user; this one runs as root), protected mode off as there.
FROM rinha-standin/bookworm:latest
RUN apt-get update -qq \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends redis-server redis-tools >/dev/null \
 && rm -rf /var/lib/apt/lists/* && mkdir -p /data
WORKDIR /data
COPY redis-entrypoint.sh /usr/local/bin/docker-entrypoint.sh
ENTRYPOINT ["docker-entrypoint.sh"]
EXPOSE 6379
CMD ["redis-server"]
