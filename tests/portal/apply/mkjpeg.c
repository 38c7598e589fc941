/* mkjpeg - write a test JPEG of a given size and colour space with libjpeg,
 * for the card-application photo tests:
 *   mkjpeg OUT WIDTH HEIGHT rgb|gray|cmyk [QUALITY]
 * The picture is noise over a gradient so that its size is realistic
 * (noise does not compress away). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>

int main(int argc, char **argv)
{
  if(argc < 5) {
    fprintf(stderr, "usage: mkjpeg OUT WIDTH HEIGHT rgb|gray|cmyk [QUALITY]\n");
    return 2;
  }
  int w = atoi(argv[2]), h = atoi(argv[3]), q = argc > 5 ? atoi(argv[5]) : 90;
  int comps = !strcmp(argv[4], "gray") ? 1 : !strcmp(argv[4], "cmyk") ? 4 : 3;
  if(w < 1 || h < 1 || w > 10000 || h > 10000)
    return 2;
  FILE *f = fopen(argv[1], "wb");
  if(!f)
    return 1;
  struct jpeg_compress_struct c;
  struct jpeg_error_mgr err;
  c.err = jpeg_std_error(&err);
  jpeg_create_compress(&c);
  jpeg_stdio_dest(&c, f);
  c.image_width = (JDIMENSION)w;
  c.image_height = (JDIMENSION)h;
  c.input_components = comps;
  c.in_color_space = comps == 1 ? JCS_GRAYSCALE : comps == 4 ? JCS_CMYK : JCS_RGB;
  jpeg_set_defaults(&c);
  jpeg_set_quality(&c, q, TRUE);
  jpeg_start_compress(&c, TRUE);
  unsigned char *row = malloc((size_t)w * (size_t)comps);
  unsigned seed = 12345;
  for(int y = 0; y < h; y++) {
    for(int x = 0; x < w * comps; x++) {
      seed = seed * 1103515245u + 12345u;
      row[x] = (unsigned char)((x * 255 / (w * comps) + y * 128 / h + (seed >> 16) % 64) & 0xff);
    }
    JSAMPROW r = row;
    jpeg_write_scanlines(&c, &r, 1);
  }
  jpeg_finish_compress(&c);
  jpeg_destroy_compress(&c);
  free(row);
  return fclose(f) ? 1 : 0;
}
