namespace FashionNet.Kernels.Cuda;

/// <summary>A CUDA driver API call failed; the message names the call, the CUDA error and the driver's description of it.</summary>
public sealed class CudaException : Exception
{
    /// <summary>Creates the exception for a failed driver call.</summary>
    /// <param name="message">What failed, including the driver's error name and text.</param>
    /// <param name="errorCode">The driver's <c>CUresult</c> code.</param>
    public CudaException(string message, int errorCode)
        : base(message)
    {
        ErrorCode = errorCode;
    }

    /// <summary>The driver's <c>CUresult</c> code (for example 100, <c>CUDA_ERROR_NO_DEVICE</c>).</summary>
    public int ErrorCode { get; }
}
