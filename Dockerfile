# One hub replica as a container, in Hugging Face's Docker-Space layout: user 1000, the
# app in $HOME/app, port 7860. The weights come from weights/ in the build context, and
# every Hub pin in core/hub_pins.json is downloaded into the image's HF cache at build
# time (as a Gradio Space's preload_from_hub does), so start-up downloads nothing.
#
#   docker build -t ml-experiments-hub .
#   docker run -p 7860:7860 ml-experiments-hub
#   docker run -p 7860:7860 -e HUB_TRUSTED_PROXIES=10.0.0.2 -e FORWARDED_ALLOW_IPS=10.0.0.2 \
#       ml-experiments-hub            # a replica behind HAProxy on 10.0.0.2 (README "Serving")
FROM python:3.11-slim

RUN useradd -m -u 1000 user
USER user
ENV HOME=/home/user \
    PATH=/home/user/.local/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    GRADIO_ANALYTICS_ENABLED=False \
    GRADIO_SERVER_NAME=0.0.0.0 \
    GRADIO_SERVER_PORT=7860
WORKDIR $HOME/app

# The hub's lock: every version pinned, every file checked against its hashes.
COPY --chown=user requirements.txt .
RUN pip install --no-cache-dir --user --require-hashes -r requirements.txt

COPY --chown=user . .
RUN python -c "from core.weights import download, pins; [download(p) for p in pins().values()]"

EXPOSE 7860
CMD ["python", "hub.py"]
