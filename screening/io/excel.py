"""Excel's own limits, which every workbook read or written here keeps."""

ROWS = 1_048_576  # rows a sheet holds, header included
COLUMNS = 16_384  # columns a sheet holds (A … XFD)
CELL_CHARS = 32_767  # characters a cell holds
LARGEST = 9.99999999999999e307  # the largest number a cell accepts
