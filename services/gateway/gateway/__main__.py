"""``python -m gateway``: serve the API with uvicorn (asyncio, never monkey-patched)."""
import uvicorn

from common.logs import configure_logging
from gateway.app import create_app
from gateway.http import HttpProtocol
from gateway.settings import GatewaySettings


def main() -> None:
    settings = GatewaySettings()
    configure_logging("gateway", settings.log_level)
    uvicorn.run(create_app(settings), host=settings.gateway_host, port=settings.gateway_port,
                log_config=None, access_log=False, timeout_graceful_shutdown=20, loop="uvloop",
                http=HttpProtocol)  # httptools, each response in one write


if __name__ == "__main__":
    main()
