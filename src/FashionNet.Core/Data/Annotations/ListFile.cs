using System.Buffers;
using System.Buffers.Text;
using System.Text;

namespace FashionNet.Data.Annotations;

/// <summary>
/// Streams a DeepFashion list file: line 1 the entry count, line 2 (for most files) the column names, then one row per
/// entry with columns separated by runs of spaces or tabs. Works on UTF-8 bytes from a buffered stream, one line at a
/// time, so a 580 MB file never sits in memory; rows are handed out as spans valid until the next row.
/// </summary>
internal sealed class ListFile : IDisposable
{
    /// <summary>Longest line accepted; longer ones mean the file is not a list file (and reading on would not bound memory).</summary>
    internal const int MaxLineBytes = 4 << 20;

    private static readonly SearchValues<byte> ControlBytes = SearchValues.Create(
        [0, 1, 2, 3, 4, 5, 6, 7, 8, 11, 12, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 127]);

    private readonly FileStream _stream;
    private byte[] _buffer = new byte[1 << 16];
    private int _start;
    private int _end;
    private bool _endOfStream;

    private ListFile(string path, FileStream stream)
    {
        Path = path;
        _stream = stream;
    }

    /// <summary>Path of the file, as used in error messages.</summary>
    public string Path { get; }

    /// <summary>Number of the line last read (1-based).</summary>
    public int LineNumber { get; private set; }

    /// <summary>Length of the file in bytes.</summary>
    public long Length => _stream.Length;

    /// <summary>Entry count declared on line 1.</summary>
    public int DeclaredCount { get; private set; }

    /// <summary>Non-blank rows read after the header so far.</summary>
    public int RowCount { get; private set; }

    /// <summary>
    /// Opens a list file and reads its count line and, when <paramref name="headerFirstColumn"/> is given, checks that
    /// line 2 is the column header starting with that name.
    /// </summary>
    public static ListFile Open(string path, string? headerFirstColumn)
    {
        if (!File.Exists(path)) throw new DeepFashionFormatException(path, 0, "file not found");
        FileStream stream;
        try
        {
            stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1, FileOptions.SequentialScan);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new DeepFashionFormatException(path, 0, $"cannot be opened: {e.Message}");
        }
        var file = new ListFile(path, stream);
        try
        {
            file.ReadCountLine();
            if (headerFirstColumn is not null) file.ReadHeader(headerFirstColumn);
            return file;
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>Reads the next non-blank row; false at the end of the file.</summary>
    public bool TryReadRow(out ListRow row)
    {
        while (TryReadLine(out var line))
        {
            if (line.Trim(" \t"u8).IsEmpty) continue;
            RowCount++;
            row = new ListRow(this, LineNumber, line);
            return true;
        }
        row = default;
        return false;
    }

    /// <summary>Reads every row into <paramref name="handle"/>; in lenient mode a row whose handler throws is skipped and reported.</summary>
    public void ReadRows(ReadContext context, RowHandler handle)
    {
        while (TryReadRow(out var row))
        {
            try
            {
                handle(row);
            }
            catch (DeepFashionFormatException problem) when (context.Options.Lenient)
            {
                context.Record(problem, "row skipped");
            }
        }
        CheckCount(context);
    }

    /// <summary>The count line must agree with the rows read (lenient mode reports a disagreement and goes on).</summary>
    public void CheckCount(ReadContext context)
    {
        if (RowCount == DeclaredCount) return;
        context.Fail(Error(1, $"line 1 declares {DeclaredCount} entries but the file has {RowCount} rows"), "the rows present are used");
    }

    public DeepFashionFormatException Error(int line, string problem) => new(Path, line, problem);

    public void Dispose() => _stream.Dispose();

    private void ReadCountLine()
    {
        if (!TryReadLine(out var line)) throw Error(0, "empty file: expected the number of entries on line 1");
        if (line.StartsWith("\uFEFF"u8)) line = line[3..];
        var tokens = new ListRow(this, LineNumber, line);
        if (!tokens.TryNextToken(out var token) || !Utf8Parser.TryParse(token, out int count, out int consumed) ||
            consumed != token.Length || count < 0 || tokens.TryNextToken(out _))
            throw Error(1, $"expected the number of entries, found {Show(line)}");
        DeclaredCount = count;
    }

    private void ReadHeader(string firstColumn)
    {
        if (!TryReadLine(out var line)) throw Error(2, $"missing column header (expected a line starting with '{firstColumn}')");
        var tokens = new ListRow(this, LineNumber, line);
        if (!tokens.TryNextToken(out var token) || !token.SequenceEqual(Encoding.ASCII.GetBytes(firstColumn)))
            throw Error(2, $"expected the column header starting with '{firstColumn}', found {Show(line)}");
    }

    private bool TryReadLine(out ReadOnlySpan<byte> line)
    {
        while (true)
        {
            int newline = _buffer.AsSpan(_start, _end - _start).IndexOf((byte)'\n');
            if (newline >= 0)
            {
                line = TakeLine(newline, consumed: newline + 1);
                return true;
            }
            if (_endOfStream)
            {
                if (_start == _end)
                {
                    line = default;
                    return false;
                }
                line = TakeLine(_end - _start, consumed: _end - _start);
                return true;
            }
            Fill();
        }
    }

    private ReadOnlySpan<byte> TakeLine(int length, int consumed)
    {
        var line = _buffer.AsSpan(_start, length);
        _start += consumed;
        LineNumber++;
        if (!line.IsEmpty && line[^1] == (byte)'\r') line = line[..^1];
        int control = line.IndexOfAny(ControlBytes);
        if (control >= 0)
            throw Error(LineNumber, $"binary data (byte 0x{line[control]:X2} at column {control + 1}): not a text list file");
        return line;
    }

    private void Fill()
    {
        if (_start > 0)
        {
            _buffer.AsSpan(_start, _end - _start).CopyTo(_buffer);
            _end -= _start;
            _start = 0;
        }
        if (_end == _buffer.Length)
        {
            if (_buffer.Length >= MaxLineBytes)
                throw Error(LineNumber + 1, $"line longer than {MaxLineBytes >> 20} MiB: not a DeepFashion list file");
            Array.Resize(ref _buffer, Math.Min(_buffer.Length * 2, MaxLineBytes));
        }
        int read = _stream.Read(_buffer, _end, _buffer.Length - _end);
        if (read == 0) _endOfStream = true;
        _end += read;
    }

    /// <summary>Quotes up to 60 characters of a line for an error message.</summary>
    internal static string Show(ReadOnlySpan<byte> text)
    {
        const int limit = 60;
        string shown = Encoding.UTF8.GetString(text.Length > limit ? text[..limit] : text);
        return text.Length > limit ? $"'{shown}...'" : $"'{shown}'";
    }
}

/// <summary>Handles one row of a <see cref="ListFile"/>; throws <see cref="DeepFashionFormatException"/> for a bad row.</summary>
internal delegate void RowHandler(ListRow row);

/// <summary>One row of a list file: its line number and a tokenizer over its columns.</summary>
internal ref struct ListRow
{
    private readonly ListFile _file;
    private ReadOnlySpan<byte> _rest;

    public ListRow(ListFile file, int line, ReadOnlySpan<byte> text)
    {
        _file = file;
        Line = line;
        Text = text;
        _rest = text;
    }

    /// <summary>1-based line number.</summary>
    public int Line { get; }

    /// <summary>The whole row.</summary>
    public ReadOnlySpan<byte> Text { get; }

    /// <summary>The next space- or tab-separated token, if any.</summary>
    public bool TryNextToken(out ReadOnlySpan<byte> token)
    {
        int start = _rest.IndexOfAnyExcept((byte)' ', (byte)'\t');
        if (start < 0)
        {
            _rest = default;
            token = default;
            return false;
        }
        var from = _rest[start..];
        int end = from.IndexOfAny((byte)' ', (byte)'\t');
        if (end < 0)
        {
            token = from;
            _rest = default;
        }
        else
        {
            token = from[..end];
            _rest = from[end..];
        }
        return true;
    }

    /// <summary>The text after the tokens read so far, trimmed.</summary>
    public readonly ReadOnlySpan<byte> Remaining => _rest.Trim(" \t"u8);

    /// <summary>Number of columns of the whole row.</summary>
    public readonly int ColumnCount
    {
        get
        {
            var counter = new ListRow(_file, Line, Text);
            int count = 0;
            while (counter.TryNextToken(out _)) count++;
            return count;
        }
    }

    /// <summary>Throws unless the row has exactly <paramref name="count"/> columns.</summary>
    public readonly void ExpectColumns(int count, string columns)
    {
        int found = ColumnCount;
        if (found != count) throw Error($"expected {count} columns ({columns}), found {found}");
    }

    public ReadOnlySpan<byte> NextToken(string column)
    {
        if (!TryNextToken(out var token)) throw Error($"missing column '{column}' (the row has {ColumnCount} columns)");
        return token;
    }

    /// <summary>The next token, checked to be valid UTF-8 text.</summary>
    public ReadOnlySpan<byte> NextText(string column)
    {
        var token = NextToken(column);
        if (!System.Text.Unicode.Utf8.IsValid(token)) throw Error($"column '{column}' is not valid UTF-8 text");
        return token;
    }

    public string NextString(string column) => Encoding.UTF8.GetString(NextText(column));

    public int NextInt(string column)
    {
        var token = NextToken(column);
        if (!Utf8Parser.TryParse(token, out int value, out int consumed) || consumed != token.Length)
            throw Error($"column '{column}': {ListFile.Show(token)} is not an integer");
        return value;
    }

    public float NextFloat(string column)
    {
        var token = NextToken(column);
        if (!Utf8Parser.TryParse(token, out float value, out int consumed) || consumed != token.Length || !float.IsFinite(value))
            throw Error($"column '{column}': {ListFile.Show(token)} is not a number");
        return value;
    }

    /// <summary>
    /// Reads the rest of the row as exactly <paramref name="count"/> attribute labels (<c>1</c>, <c>-1</c>, or
    /// <c>0</c> for unknown) into two bitsets. A hand-written byte loop: this is the hot path of the 289,222 x 1,000
    /// <c>list_attr_img.txt</c>.
    /// </summary>
    public void ReadAttributeValues(int count, Span<ulong> known, Span<ulong> positive)
    {
        var text = _rest;
        _rest = default;
        int column = 0;
        int i = 0;
        while (i < text.Length)
        {
            byte b = text[i];
            if (b == (byte)' ' || b == (byte)'\t')
            {
                i++;
                continue;
            }
            if (column == count)
                throw Error($"expected {count} attribute values, found {count + new ListRow(_file, Line, text[i..]).ColumnCount}");
            ulong bit = 1UL << (column & 63);
            if (b == (byte)'-' && i + 1 < text.Length && text[i + 1] == (byte)'1' && IsTokenEnd(text, i + 2))
            {
                known[column >> 6] |= bit;
                i += 2;
            }
            else if (b == (byte)'1' && IsTokenEnd(text, i + 1))
            {
                known[column >> 6] |= bit;
                positive[column >> 6] |= bit;
                i++;
            }
            else if (b == (byte)'0' && IsTokenEnd(text, i + 1))
            {
                i++;
            }
            else
            {
                int end = text[i..].IndexOfAny((byte)' ', (byte)'\t');
                var token = end < 0 ? text[i..] : text.Slice(i, end);
                throw Error($"attribute value {column + 1}: {ListFile.Show(token)} is not 1, -1 or 0 (unknown)");
            }
            column++;
        }
        if (column != count) throw Error($"expected {count} attribute values, found {column}");
    }

    private static bool IsTokenEnd(ReadOnlySpan<byte> text, int index) =>
        index >= text.Length || text[index] == (byte)' ' || text[index] == (byte)'\t';

    public readonly DeepFashionFormatException Error(string problem) => _file.Error(Line, problem);
}
