// Landmark pooling, forward and backward, on CUDA. Semantics (identical in every FashionNet implementation):
// a landmark (x, y), normalized by the input image's width and height, maps to feature cell (floor(x * W), floor(y * H)); the K x K window
// centred there (not clipped) is split into P x P bins with RoIPool's floor/ceil rule, bin ph covering window rows
// floor(ph * K / P) .. ceil((ph + 1) * K / P); each bin, intersected with the map, is max-pooled, ties going to the
// first maximum in row-major order. Invisible landmarks and bins outside the map give 0 and argmax -1.
#include "fashionnet_device.cuh"

// Mirrors FashionNet.Kernels.LandmarkPoolingGeometry field by field (seven int32; 28 bytes).
struct LandmarkPoolingGeometry
{
    int batch;
    int channels;
    int height;
    int width;
    int landmarks;
    int window_size;
    int bins;
};

// floor(coordinate * size) as an int, evaluated in double like every other implementation (the product of a float
// and an int is exact in double). The value is clamped first to one cell beyond the reach of any
// window, which keeps the conversion defined for far-away landmarks without changing which cells are pooled.
FN_DEVICE int landmark_cell(float coordinate, int size, int radius)
{
    double cell = (double)coordinate * (double)size;
    double low = (double)(-radius - 1);
    double high = (double)(size + radius);
    cell = cell < low ? low : (cell > high ? high : cell);
    int truncated = (int)cell;
    return (double)truncated > cell ? truncated - 1 : truncated;
}

// One thread per output element, output laid out [N, L, C, P, P].
FN_KERNEL void fashionnet_landmark_pooling_forward(
    int count,
    DeviceView<const float> features,
    DeviceView<const float> landmarks,
    DeviceView<const float> visibility,
    DeviceView<float> output,
    DeviceView<int> argmax,
    LandmarkPoolingGeometry geometry)
{
    int index = fn_global_index();
    if (index >= count)
        return;

    int bins = geometry.bins;
    int pw = index % bins;
    int ph = (index / bins) % bins;
    int channel = (index / (bins * bins)) % geometry.channels;
    int landmark = index / (bins * bins * geometry.channels);  // n * L + l
    int sample = landmark / geometry.landmarks;

    float best_value = 0.0f;
    int best_cell = -1;
    if (visibility.data[landmark] != 0.0f)
    {
        int window = geometry.window_size;
        int radius = window / 2;
        int cx = landmark_cell(landmarks.data[2 * landmark], geometry.width, radius);
        int cy = landmark_cell(landmarks.data[2 * landmark + 1], geometry.height, radius);
        int h_start = cy - radius + (ph * window) / bins;
        int h_end = cy - radius + ((ph + 1) * window + bins - 1) / bins;
        int w_start = cx - radius + (pw * window) / bins;
        int w_end = cx - radius + ((pw + 1) * window + bins - 1) / bins;
        h_start = h_start < 0 ? 0 : h_start;
        w_start = w_start < 0 ? 0 : w_start;
        h_end = h_end > geometry.height ? geometry.height : h_end;
        w_end = w_end > geometry.width ? geometry.width : w_end;
        if (h_end > h_start && w_end > w_start)
        {
            const float* plane = features.data
                + ((long long)sample * geometry.channels + channel) * geometry.height * geometry.width;
            best_cell = h_start * geometry.width + w_start;
            best_value = plane[best_cell];
            for (int h = h_start; h < h_end; ++h)
            {
                for (int w = w_start; w < w_end; ++w)
                {
                    int cell = h * geometry.width + w;
                    if (plane[cell] > best_value)
                    {
                        best_value = plane[cell];
                        best_cell = cell;
                    }
                }
            }
        }
    }
    output.data[index] = best_value;
    argmax.data[index] = best_cell;
}

// One thread per output element: adds its gradient to the argmax cell. Windows overlap, hence the atomic add.
FN_KERNEL void fashionnet_landmark_pooling_backward(
    int count,
    DeviceView<const float> grad_output,
    DeviceView<const int> argmax,
    DeviceView<float> grad_features,
    LandmarkPoolingGeometry geometry)
{
    int index = fn_global_index();
    if (index >= count)
        return;
    int cell = argmax.data[index];
    if (cell < 0)
        return;
    int bins = geometry.bins;
    int channel = (index / (bins * bins)) % geometry.channels;
    int sample = index / (bins * bins * geometry.channels * geometry.landmarks);
    long long plane = ((long long)sample * geometry.channels + channel) * geometry.height * geometry.width;
    fn_atomic_add(grad_features.data + plane + cell, grad_output.data[index]);
}
