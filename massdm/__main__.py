from massdm.cli import app

app(prog_name="massdm")
