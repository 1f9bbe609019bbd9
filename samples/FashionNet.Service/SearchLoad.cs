namespace FashionNet.Service;

/// <summary>Counts the searches in the service: those running (admitted by the concurrency limit) and those waiting for a slot.</summary>
internal sealed class SearchLoad
{
    private int _inService;
    private int _running;

    /// <summary>Searches running now.</summary>
    public int Running => Volatile.Read(ref _running);

    /// <summary>Searches waiting for a slot now.</summary>
    public int Waiting => Math.Max(0, Volatile.Read(ref _inService) - Running);

    /// <summary>Runs the rest of the pipeline for a search that arrived, counting it until it leaves.</summary>
    public async Task InServiceAsync(Func<Task> next)
    {
        Interlocked.Increment(ref _inService);
        try
        {
            await next().ConfigureAwait(false);
        }
        finally
        {
            Interlocked.Decrement(ref _inService);
        }
    }

    /// <summary>Runs an admitted search, counting it as running until it ends.</summary>
    public async Task<T> RunningAsync<T>(Func<Task<T>> search)
    {
        Interlocked.Increment(ref _running);
        try
        {
            return await search().ConfigureAwait(false);
        }
        finally
        {
            Interlocked.Decrement(ref _running);
        }
    }
}
