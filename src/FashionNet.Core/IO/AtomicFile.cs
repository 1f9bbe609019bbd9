namespace FashionNet.IO;

/// <summary>
/// Writes files so that readers see either the old content or the complete new content, never a half-written file:
/// the data goes to a temporary file beside the target, is flushed to disk, and is then renamed over the target.
/// </summary>
public static class AtomicFile
{
    /// <summary>Writes a file atomically with <paramref name="write"/>; on any failure the target is left untouched.</summary>
    /// <param name="path">The file to create or replace.</param>
    /// <param name="write">Writes the complete content to the given stream (seekable, so formats may patch earlier bytes).</param>
    public static void Write(string path, Action<FileStream> write)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentNullException.ThrowIfNull(write);

        string fullPath = Path.GetFullPath(path);
        string directory = Path.GetDirectoryName(fullPath)!;
        Directory.CreateDirectory(directory);
        string temp = Path.Combine(directory, $".{Path.GetFileName(fullPath)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, fullPath, overwrite: true);
        }
        catch
        {
            File.Delete(temp);
            throw;
        }
    }

    /// <summary>Writes all bytes to a file atomically.</summary>
    /// <param name="path">The file to create or replace.</param>
    /// <param name="bytes">The complete content.</param>
    public static void WriteAllBytes(string path, byte[] bytes)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        Write(path, stream => stream.Write(bytes));
    }

    /// <summary>Writes text (UTF-8) to a file atomically.</summary>
    /// <param name="path">The file to create or replace.</param>
    /// <param name="text">The complete content.</param>
    public static void WriteAllText(string path, string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        Write(path, stream =>
        {
            using var writer = new StreamWriter(stream, leaveOpen: true);
            writer.Write(text);
        });
    }
}
