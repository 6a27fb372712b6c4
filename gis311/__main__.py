from gis311.cli import main

main()
