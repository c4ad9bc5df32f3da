from resim.cli import main

main()
