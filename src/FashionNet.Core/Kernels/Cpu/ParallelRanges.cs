namespace FashionNet.Kernels.Cpu;

/// <summary>The work of one range <c>[start, end)</c> of a kernel; a struct so that calls are direct and allocation-free.</summary>
internal interface IRangeBody
{
    void Run(long start, long end);
}

/// <summary>
/// A fork-join over <c>[0, count)</c> for the CPU kernels that allocates nothing per call in the steady state
/// (<c>Parallel.For</c> allocates about 1.5 KB per call, which is most of a small kernel's managed allocation).
/// The range is cut into a few contiguous pieces; the calling thread and thread-pool workers claim pieces until none
/// is left, so the call finishes even when no worker turns up.
/// </summary>
internal static class ParallelRanges
{
    /// <summary>Pieces per processor: enough to even out uneven pieces, few enough to keep claiming cheap.</summary>
    private const int PiecesPerProcessor = 4;

    /// <summary>
    /// Calls <paramref name="body"/> over pieces covering <c>[0, count)</c>, each at least <paramref name="minimumPiece"/>
    /// long, so that small calls run inline instead of paying for scheduling. The body must not throw.
    /// </summary>
    public static void Run<TBody>(long count, long minimumPiece, TBody body) where TBody : struct, IRangeBody
    {
        var processors = Environment.ProcessorCount;
        var pieces = (int)Math.Min(count / minimumPiece, (long)processors * PiecesPerProcessor);
        if (pieces <= 1 || processors == 1)
        {
            body.Run(0, count);
            return;
        }
        var work = ForkJoin<TBody>.Rent(body, count, pieces);
        for (var helper = 1; helper < Math.Min(processors, pieces); helper++)
        {
            work.AddHelper();
            ThreadPool.UnsafeQueueUserWorkItem(work, preferLocal: false);
        }
        work.ClaimPieces();
        work.WaitForPieces();
        ForkJoin<TBody>.Return(work);
    }

    /// <summary>
    /// One fork-join: a piece counter claimed with interlocked increments and a count of pieces not yet finished.
    /// An instance is reused by the thread that rented it only once every queued helper has left it, so a helper that
    /// starts late can never claim a piece of a later call.
    /// </summary>
    private sealed class ForkJoin<TBody> : IThreadPoolWorkItem where TBody : struct, IRangeBody
    {
        [ThreadStatic]
        private static ForkJoin<TBody>? t_cached;

        private TBody _body;
        private long _count;
        private int _pieces;
        private int _nextPiece;
        private int _unfinishedPieces;
        private int _queuedHelpers;

        public static ForkJoin<TBody> Rent(TBody body, long count, int pieces)
        {
            var work = t_cached ?? new ForkJoin<TBody>();
            t_cached = null;
            work._body = body;
            work._count = count;
            work._pieces = pieces;
            work._unfinishedPieces = pieces;
            Volatile.Write(ref work._nextPiece, 0);
            return work;
        }

        public static void Return(ForkJoin<TBody> work)
        {
            if (Volatile.Read(ref work._queuedHelpers) == 0)
            {
                work._body = default;
                t_cached = work;
            }
        }

        public void AddHelper() => Interlocked.Increment(ref _queuedHelpers);

        void IThreadPoolWorkItem.Execute()
        {
            ClaimPieces();
            Interlocked.Decrement(ref _queuedHelpers);
        }

        public void ClaimPieces()
        {
            int piece;
            while ((piece = Interlocked.Increment(ref _nextPiece) - 1) < _pieces)
            {
                _body.Run(_count * piece / _pieces, _count * (piece + 1) / _pieces);
                Interlocked.Decrement(ref _unfinishedPieces);
            }
        }

        public void WaitForPieces()
        {
            var spinner = new SpinWait();
            while (Volatile.Read(ref _unfinishedPieces) > 0)
            {
                spinner.SpinOnce();
            }
        }
    }
}
