# One image for the four HalloBot services; compose and Kubernetes pick the service with
# `hallobot serve <service>`. Two stages: wheels are built with the full toolchain, the runtime
# image gets only the installed package and runs as an unprivileged user.
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY hallobot ./hallobot
COPY shared ./shared
COPY services ./services
RUN pip wheel --no-cache-dir --wheel-dir /wheels .

FROM python:3.11-slim
ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    HALLOBOT_DATA_DIR=/tmp/hallobot
RUN groupadd --system --gid 10001 hallobot \
 && useradd --system --uid 10001 --gid hallobot --home-dir /home/hallobot --create-home hallobot
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir --no-index --find-links=/wheels hallobot && rm -rf /wheels
WORKDIR /home/hallobot
USER 10001:10001
EXPOSE 8001 8002 8003 8004
# The service is chosen by the command, e.g. `hallobot serve events --host 0.0.0.0 --port 8002`.
CMD ["hallobot", "--help"]
