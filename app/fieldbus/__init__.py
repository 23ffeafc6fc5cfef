"""Field I/O: polling PLCs (Modbus TCP/RTU, Siemens S7) and publishing point readings.

Qt-free. All protocol traffic runs on one asyncio loop in a worker thread (:mod:`.manager`), one owner
task per connection, so the GUI thread never blocks on a PLC and no client ever has two requests in
flight.
"""
