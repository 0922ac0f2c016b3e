# The app image. Debian bookworm (glibc 2.36) is what the uWebSockets.js build this
# project pins (@trufflesuite/uws-js-unofficial) is known to load on.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
# Only the service (dist/src): the tools that drive it (launcher, replay, simulator, smoke check,
# benchmarks, the engine test: tools/) stay in the build stage.
COPY --from=build /app/dist/src ./dist/src
COPY package.json ./
# Memory flags: the same as the native launcher's (tools/launcher/stack.ts, INSTANCE_NODE_FLAGS).
CMD ["node", "--max-old-space-size=56", "--max-semi-space-size=2", "dist/src/main.js"]
