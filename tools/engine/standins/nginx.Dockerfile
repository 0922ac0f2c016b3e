# Stand-in for nginx:1.27-bookworm: Debian's nginx 1.22 (nginx-light). Same paths for what the
# compose file uses: /etc/nginx/nginx.conf, logs to stdout/stderr, `nginx -g 'daemon off;'`.
FROM rinha-standin/bookworm:latest
RUN apt-get update -qq \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nginx-light >/dev/null \
 && rm -rf /var/lib/apt/lists/* \
 && ln -sf /dev/stdout /var/log/nginx/access.log && ln -sf /dev/stderr /var/log/nginx/error.log
STOPSIGNAL SIGQUIT
CMD ["nginx", "-g", "daemon off;"]
