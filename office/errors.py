"""One error base for every use case the office refuses (as HackSoft's ApplicationError):
views show its message and commands print it, without knowing which app raised it."""


class Refused(Exception):
    """A use case that cannot go ahead; `message` says why, in Chinese, for staff."""

    def __init__(self, message: str = "", *, code: str = ""):
        super().__init__(message)
        self.message = message
        self.code = code

    def __str__(self) -> str:
        return self.message
