using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using TorchSharp;
using static TorchSharp.torch;
using Mpi = MPI.Unsafe;

namespace PowerClip.Train.Training.Distributed;

/// <summary>
/// <see cref="IDistributedContext"/> over MPI_COMM_WORLD (MPI must be initialised: see
/// <see cref="MpiLauncher"/>). Tensors are staged through host memory: MPI sees contiguous CPU
/// buffers, so GPU tensors cost one device→host and one host→device copy per collective (for the
/// gradient all-reduce, 2·P·bytes over PCIe per step on top of the network transfer). Gradients are
/// flattened into buckets of at most <see cref="BucketBytes"/> so that one MPI call moves many small
/// tensors.
/// </summary>
public sealed class MpiContext : IDistributedContext
{
    private const int MaxDims = 8;
    private readonly Stopwatch _clock = new();

    public int Rank { get; }
    public int Size { get; }
    public int LocalRank { get; }
    public bool IsMain => Rank == 0;
    public Device Device { get; }
    public TimeSpan CommunicationTime => _clock.Elapsed;

    /// <summary>Gradient bucket size (PyTorch DDP's default, 25 MiB).</summary>
    public long BucketBytes { get; init; } = 25L << 20;

    private MpiContext(int rank, int size, int localRank)
    {
        Rank = rank;
        Size = size;
        LocalRank = localRank;
        Device = DistributedDevice.For(localRank);
    }

    /// <summary>The context of MPI_COMM_WORLD; every rank must call it (it exchanges host names).</summary>
    public static MpiContext World()
    {
        if (!MPI.Environment.Initialized) throw new InvalidOperationException(
            "MPI is not initialised: start through MpiLauncher.Run");
        var world = MPI.Communicator.world;
        var rank = world.Rank;
        var size = world.Size;
        // Local rank = number of lower ranks on the same host (MPI-implementation independent, unlike
        // MPI_LOCALRANKID / OMPI_COMM_WORLD_LOCAL_RANK / SLURM_LOCALID).
        var hosts = new long[size];
        var mine = new[] { HostKey(MPI.Environment.ProcessorName) };
        AllGatherRaw(mine, hosts, Mpi.MPI_LONG_LONG);
        var localRank = hosts.Take(rank).Count(h => h == hosts[rank]);
        return new MpiContext(rank, size, localRank);
    }

    public void Broadcast(IReadOnlyList<Tensor> tensors, int root = 0)
    {
        if (root < 0 || root >= Size) throw new ArgumentOutOfRangeException(nameof(root),
            $"root rank {root} does not exist in a job of {Size} processes");
        _clock.Start();
        try
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            foreach (var t in tensors)
            {
                var host = t.detach().to(CPU).contiguous().clone();
                Check(Mpi.MPI_Bcast(Pointer(host), ByteCount(host), Mpi.MPI_BYTE, root, Mpi.MPI_COMM_WORLD),
                    "MPI_Bcast");
                t.copy_(host);
            }
        }
        finally { _clock.Stop(); }
    }

    public void AllReduceSum(IReadOnlyList<Tensor> tensors)
    {
        _clock.Start();
        try
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            // GroupBy keeps first-appearance order, so every rank visits the same buckets in the same order.
            foreach (var group in tensors.GroupBy(t => t.dtype))
            {
                var mpiType = group.Key switch
                {
                    ScalarType.Float64 => Mpi.MPI_DOUBLE,
                    ScalarType.Float32 => Mpi.MPI_FLOAT,
                    var other => throw new NotSupportedException(
                        $"all-reduce of {other} tensors is not supported: use float32 or float64"),
                };
                foreach (var bucket in Buckets(group.ToList(), BucketBytes))
                {
                    var send = cat(bucket.Select(t => t.detach().reshape(-1)).ToList(), 0).to(CPU).contiguous();
                    var recv = empty_like(send);
                    Check(Mpi.MPI_Allreduce(Pointer(send), Pointer(recv), checked((int)send.numel()), mpiType,
                        Mpi.MPI_SUM, Mpi.MPI_COMM_WORLD), "MPI_Allreduce");
                    long offset = 0;
                    foreach (var t in bucket)
                    {
                        var n = t.numel();
                        t.copy_(recv.narrow(0, offset, n).view_as(t));
                        offset += n;
                    }
                }
            }
        }
        finally { _clock.Stop(); }
    }

    public Tensor AllGather(Tensor local)
    {
        if (local.dim() is 0 or > MaxDims) throw new ArgumentException(
            $"all-gather needs a tensor with 1 to {MaxDims} dimensions, got {local.dim()}");
        _clock.Start();
        try
        {
            // Header exchange: dtype and shape of every rank, so a mismatch is an error, not corrupt memory.
            var header = new long[2 + MaxDims];
            header[0] = (long)local.dtype;
            header[1] = local.dim();
            for (var d = 0; d < local.dim(); d++) header[2 + d] = local.shape[d];
            var headers = new long[header.Length * Size];
            AllGatherRaw(header, headers, Mpi.MPI_LONG_LONG);
            var rows = new long[Size];
            for (var r = 0; r < Size; r++)
            {
                var h = headers.AsSpan(r * header.Length, header.Length);
                if (h[0] != header[0] || h[1] != header[1] || !h[3..].SequenceEqual(header.AsSpan(3)))
                    throw new InvalidOperationException(
                        $"all-gather: rank {r} sent a {(ScalarType)h[0]} tensor of shape " +
                            $"[{string.Join(", ", h[2..(2 + (int)h[1])].ToArray())}], " +
                        $"rank {Rank} a {local.dtype} tensor of shape [{string.Join(", ", local.shape)}]; ranks may " +
                            "differ in dim 0 only");
                rows[r] = h[2];
            }
            var rowShape = local.shape.Skip(1).ToArray();
            var rowBytes = rowShape.Aggregate(1L, (a, b) => a * b) * local.ElementSize;
            var counts = rows.Select(n => checked((int)(n * rowBytes))).ToArray();
            var displacements = new int[Size];
            for (var r = 1; r < Size; r++) displacements[r] = checked(displacements[r - 1] + counts[r - 1]);

            Tensor others;
            using (var scope = NewDisposeScope())
            {
                var send = local.detach().to(CPU).contiguous();
                var all = empty([rows.Sum(), .. rowShape], local.dtype, CPU);
                Check(Mpi.MPI_Allgatherv(Pointer(send), counts[Rank], Mpi.MPI_BYTE, Pointer(all), counts, displacements,
                    Mpi.MPI_BYTE, Mpi.MPI_COMM_WORLD), "MPI_Allgatherv");
                others = all.to(local.device).MoveToOuterDisposeScope();
            }
            // Our own rows are replaced by `local` itself: the only slice with a gradient path.
            var start = rows.Take(Rank).Sum();
            var end = start + rows[Rank];
            return cat([others.narrow(0, 0, start), local, others.narrow(0, end, others.shape[0] - end)], 0);
        }
        finally { _clock.Stop(); }
    }

    public Tensor AllGatherWithGrad(Tensor local) => GatherWithGrad.Apply(this, local);

    /// <summary>
    /// Forward: every rank's tensor (no gradient path of its own). Backward: the upstream gradient summed over
    /// ranks, this rank's slice — each rank's loss reaches every rank's features, and their owners collect it.
    /// </summary>
    private sealed class GatherWithGrad : autograd.SingleTensorFunction<GatherWithGrad>
    {
        public override string Name => "AllGatherWithGrad";

        public static Tensor Apply(MpiContext context, Tensor local) => apply(local, context);

        public override Tensor forward(autograd.AutogradContext ctx, params object[] vars)
        {
            var (local, context) = ((Tensor)vars[0], (MpiContext)vars[1]);
            var rows = context.AllGather((double)local.shape[0]);
            ctx.save_data("context", context);
            ctx.save_data("start", (long)rows.Take(context.Rank).Sum());
            ctx.save_data("rows", local.shape[0]);
            return context.AllGather(local.detach());
        }

        public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor grad)
        {
            var context = (MpiContext)ctx.get_data("context");
            var sum = grad.contiguous().clone();
            context.AllReduceSum([sum]);
            return [sum.narrow(0, (long)ctx.get_data("start"), (long)ctx.get_data("rows")), null!];
        }
    }

    public double[] AllGather(double value)
    {
        _clock.Start();
        try
        {
            var all = new double[Size];
            AllGatherRaw([value], all, Mpi.MPI_DOUBLE);
            return all;
        }
        finally { _clock.Stop(); }
    }

    public void Abort(int exitCode) => Mpi.MPI_Abort(Mpi.MPI_COMM_WORLD, exitCode);

    public void Dispose() { }

    private static IEnumerable<List<Tensor>> Buckets(IReadOnlyList<Tensor> tensors, long bucketBytes)
    {
        var bucket = new List<Tensor>();
        long bytes = 0;
        foreach (var t in tensors)
        {
            var b = t.numel() * t.ElementSize;
            if (bucket.Count > 0 && bytes + b > bucketBytes)
            {
                yield return bucket;
                bucket = [];
                bytes = 0;
            }
            bucket.Add(t);
            bytes += b;
        }
        if (bucket.Count > 0) yield return bucket;
    }

    private static unsafe void AllGatherRaw<T>(T[] mine, T[] all, int mpiType) where T : unmanaged
    {
        fixed (T* send = mine)
        fixed (T* recv = all)
            Check(Mpi.MPI_Allgather((IntPtr)send, mine.Length, mpiType, (IntPtr)recv, mine.Length, mpiType,
                Mpi.MPI_COMM_WORLD), "MPI_Allgather");
    }

    /// <summary>Address of a contiguous CPU tensor's storage (TorchSharp's byte span is a view of native
    /// memory).</summary>
    private static unsafe IntPtr Pointer(Tensor host) =>
        host.numel() == 0 ? IntPtr.Zero : (IntPtr)Unsafe.AsPointer(ref MemoryMarshal.GetReference(host.bytes));

    private static int ByteCount(Tensor host) =>
        checked((int)(host.numel() * host.ElementSize));

    private static long HostKey(string host)
    {
        // FNV-1a: stable across processes, unlike string.GetHashCode.
        var h = 14695981039346656037UL;
        foreach (var b in Encoding.UTF8.GetBytes(host)) h = (h ^ b) * 1099511628211UL;
        return unchecked((long)h);
    }

    private static void Check(int code, string call)
    {
        if (code != 0) throw new InvalidOperationException($"{call} failed with MPI error code {code}");
    }
}
