"""Media infrastructure: where files live (MediaStore), and the tools that read and resize them."""
